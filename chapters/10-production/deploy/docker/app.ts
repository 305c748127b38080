// The image's demo app: a fetch-style handler. Put your own app in its place (COPY it, change CMD).
export const app = (request: Request): Response => new Response(`Hello from worker ${process.pid}: ${new URL(request.url).pathname}\n`);
