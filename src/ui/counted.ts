/** "1 delivery is" / "3 deliveries are": a count with the words that go with it. */
export const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
