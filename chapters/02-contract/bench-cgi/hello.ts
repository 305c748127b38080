// The benchmark's hello world in TypeScript: a Node.js boot plus tsx's loader per request.
const body: string = 'Hello, world!\n';
process.stdout.write(`Content-Type: text/plain; charset=utf-8\r\n\r\n${body}`);
export {};
