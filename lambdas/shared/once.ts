/** Runs `create` on first use and keeps its result: adapters are built once per container, at first request. */
export function once<T>(create: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: create() };
    return made.value;
  };
}
