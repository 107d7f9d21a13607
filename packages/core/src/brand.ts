// Recognising SyncGuard classes across copies of core (ADR-029): by a registered brand.

/**
 * Makes `instanceof cls` answer with `is` (the brand check). A subclass keeps the ordinary
 * prototype check: its instances are only its own.
 */
export function recogniseByBrand(
  cls: abstract new (...args: never[]) => unknown,
  is: (value: unknown) => boolean,
): void {
  Object.defineProperty(cls, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      return this === cls ? is(value) : Function.prototype[Symbol.hasInstance].call(this, value);
    },
  });
}
