// The same page as hello.ts, written as a web-standard fetch handler (the shape Hono apps have).
export default {
  fetch(_request: Request): Response {
    return new Response('Hello, world!\n', { headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
  },
};
