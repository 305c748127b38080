// Module resolution hooks for `npm run chapter N -- --mine` and the exercise tester: whenever the server
// imports a module that an exercise re-implements, hand it the learner's file instead. Plain JavaScript:
// hooks load before tsx.
let swaps = new Map();

export function initialize(data) {
  swaps = new Map(Object.entries(data.swaps));
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const mine = swaps.get(resolved.url);
  // The learner's file itself may build on the reference (a reference answer is `export * from` it):
  // its own imports of the seam get the real module, not itself.
  if (!mine || context.parentURL === mine) return resolved;
  return { ...resolved, url: mine };
}
