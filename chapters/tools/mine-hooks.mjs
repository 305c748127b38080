// Module resolution hooks for `npm run chapter N -- --mine`: whenever the server imports a module that
// an exercise re-implements, hand it the learner's file instead. Plain JavaScript: hooks load before tsx.
let swaps = new Map();

export function initialize(data) {
  swaps = new Map(Object.entries(data.swaps));
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const mine = swaps.get(resolved.url);
  return mine ? { ...resolved, url: mine } : resolved;
}
