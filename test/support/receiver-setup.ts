// Starts the real HTTP receiver the delivery tests send to (outside workerd, on 127.0.0.1).
import type { TestProject } from "vitest/node";
import { startReceiver } from "./receiver";

export default async function setup(project: TestProject) {
  const receiver = await startReceiver();
  project.provide("receiverPort", receiver.port);
  return () => receiver.close();
}
