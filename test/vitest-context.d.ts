// Values the Node-side global setup hands to tests (vitest provide/inject).
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** Port of the real HTTP receiver on 127.0.0.1 (test/support/receiver.ts). */
    receiverPort: number;
  }
}
