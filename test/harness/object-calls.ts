// Wrapping every RPC call made on the Durable Objects of a namespace: each stub its `get` returns
// hands its calls to `around`, which decides what happens (count it, fail it, or just make it).

/** What `around` gets: the method's name, its arguments, and the call itself. */
export type AroundCall = (method: string | symbol, args: unknown[], call: () => unknown) => unknown;

export function aroundObjectCalls<N extends object>(namespace: N, around: AroundCall): N {
  return new Proxy(namespace, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (prop !== "get") return value.bind(target);
      return (...args: unknown[]) => {
        const stub = Reflect.apply(value, target, args) as object;
        return new Proxy(stub, {
          get(remote, method) {
            const member = Reflect.get(remote, method);
            if (typeof member !== "function") return member;
            // Reflect.apply: an RPC method's own `apply` would be taken for a remote method.
            return (...callArgs: unknown[]) => around(method, callArgs, () => Reflect.apply(member, remote, callArgs));
          },
        });
      };
    },
  });
}
