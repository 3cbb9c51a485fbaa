// One test for "is this a Promise?", shared by the pipeline (key selection may or may not wait)
// and the request guard (an authenticator may or may not answer synchronously).

/** True when `value` has a callable `then`: a Promise or any other thenable. */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown }).then === 'function'
}
