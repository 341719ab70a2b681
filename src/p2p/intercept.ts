/** A method of a libp2p component, called with its own `this`. */
export type Method = (...args: unknown[]) => unknown;

/**
 * A view of `target` in which the methods named in `wrap` are replaced by what `wrap` makes
 * of them (each given the original, bound to `target`); every other method is bound to
 * `target`, every other property is read through. How this layer adds behaviour to a libp2p
 * component it does not own without patching it (coalesce.ts, quiet-decoder.ts).
 */
export function interceptMethods<T extends object>(target: T, wrap: Readonly<Record<string, (original: Method) => Method>>): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const v: unknown = Reflect.get(t, prop, receiver);
      if (typeof v !== 'function') return v;
      const bound = (v as Method).bind(t);
      const w = typeof prop === 'string' && Object.hasOwn(wrap, prop) ? wrap[prop] : undefined;
      return w ? w(bound) : bound;
    },
  });
}
