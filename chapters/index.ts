// The chapter map: one entry per chapter, the single source for the stage runner, the grader,
// the exercise checker and the cut tool. A chapter whose `stage` is false is planned, not written yet.

export interface Exercise {
  /** `chapter.index`, as the docs and the grader print it. */
  id: string;
  /** File name (without .ts) in exercises/NN-slug/, solutions/NN-slug/ and test/exercises/NN-slug/. */
  name: string;
  title: string;
  /** The module of the real server that this exercise re-implements; `--mine` swaps it in. */
  seam: string;
  /** Printed by `npm test exercises` while the exercise fails. */
  hint: string;
}

export interface Chapter {
  number: number;
  /** Folder name under chapters/, exercises/, solutions/ and test/exercises/. */
  slug: string;
  title: string;
  /** False while the chapter is only planned. */
  stage: boolean;
  exercises: Exercise[];
}

export const chapters: Chapter[] = [
  {
    number: 1,
    slug: '01-cgi',
    title: 'CGI: a process per request',
    stage: true,
    exercises: [
      {
        id: '1.1',
        name: 'meta-variables',
        title: 'Build the CGI meta-variables from a request',
        seam: 'src/cgi/meta-variables.ts',
        hint:
          'RFC 3875 section 4.1 lists them. Headers become HTTP_ + upper case with "-" turned into "_", ' +
          'except Content-Type and Content-Length, which have their own names and no HTTP_ copy.',
      },
      {
        id: '1.2',
        name: 'script-path',
        title: 'Split a URL path into SCRIPT_NAME and PATH_INFO',
        seam: 'src/cgi/script-path.ts',
        hint:
          'Walk the path one segment at a time and stop at the first segment that names a script; ' +
          'everything after it (including its leading "/") is PATH_INFO.',
      },
      {
        id: '1.3',
        name: 'cgi-response',
        title: 'Parse what a CGI script printed',
        seam: 'src/cgi/cgi-response.ts',
        hint:
          'Find the first empty line (LF or CRLF). Above it, header lines "Name: value"; below it, the body. ' +
          'Then decide: a Location starting with "/" and nothing else is a local redirect.',
      },
    ],
  },
  {
    number: 2,
    slug: '02-contract',
    title: 'A WSGI-style contract',
    stage: true,
    exercises: [
      {
        id: '2.1',
        name: 'environ',
        title: 'Build the environ for an application',
        seam: 'src/app/environ.ts',
        hint:
          'Start from the CGI meta-variables of chapter 1 (call buildMetaVariables), then add the wsgi.* keys. ' +
          'wsgi.multiprocess is true when more than one worker serves the app.',
      },
      {
        id: '2.2',
        name: 'start-response',
        title: 'Enforce the rules of startResponse',
        seam: 'src/app/start-response.ts',
        hint:
          'Keep two facts: were headers set, were headers sent. A second call without excInfo is an error; ' +
          'with excInfo after headers were sent, rethrow the original error.',
      },
      {
        id: '2.3',
        name: 'run-app',
        title: 'Drive an application: iterate its body, always close it',
        seam: 'src/app/run-app.ts',
        hint:
          'Use try/finally so close() runs whatever happens. Send the head just before the first non-empty ' +
          'chunk, or at the end when there was none.',
      },
      {
        id: '2.4',
        name: 'app-spec',
        title: 'Parse an application spec "path/to/file.ts:name"',
        seam: 'src/app/app-spec.ts',
        hint: 'Split at the last ":"; no ":" means the export is named app. An empty part is an error.',
      },
    ],
  },
  {
    number: 3,
    slug: '03-http',
    title: 'HTTP/1.1 by hand',
    stage: true,
    exercises: [
      {
        id: '3.1',
        name: 'request-line',
        title: 'Parse the request line, with its limit',
        seam: 'src/http/request-line.ts',
        hint:
          'Check the limit first (414). Then walk the bytes: token bytes, one SP, visible bytes, one SP, and exactly ' +
          '"HTTP/" digit "." digit. A well-formed version other than 1.0 and 1.1 is 505; anything malformed is 400.',
      },
      {
        id: '3.2',
        name: 'framing',
        title: 'Decide where the request body ends',
        seam: 'src/http/framing.ts',
        hint:
          'Collect every Content-Length and Transfer-Encoding first, then decide. Both together, two lengths, ' +
          'a length that is not plain digits, chunked twice or not last: 400. Another coding: 501. Neither: no body.',
      },
      {
        id: '3.3',
        name: 'chunked',
        title: 'Decode a chunked body as it arrives',
        seam: 'src/http/chunked.ts',
        hint:
          'Keep a state (size line, data, CRLF after data, trailers, done) and the bytes left in the current chunk. ' +
          'A size line is complete at its LF: check the CR before it, then the hex digits, then the extensions.',
      },
    ],
  },
  {
    number: 4,
    slug: '04-worker',
    title: 'One worker: sync and async',
    stage: true,
    exercises: [
      {
        id: '4.1',
        name: 'admission',
        title: 'Decide when a worker accepts connections',
        seam: 'src/worker/admission.ts',
        hint: 'Three rules: a stopping worker never accepts; sync accepts only with nothing open; async below worker_connections.',
      },
      {
        id: '4.2',
        name: 'budget',
        title: 'Count requests against max_requests',
        seam: 'src/worker/budget.ts',
        hint: 'Keep a counter in a closure. take() adds one and answers "is there room for more after this one?"; 0 means Infinity.',
      },
    ],
  },
  {
    number: 5,
    slug: '05-prefork',
    title: 'Pre-fork: master and workers',
    stage: true,
    exercises: [
      {
        id: '5.1',
        name: 'address',
        title: 'Parse a bind address',
        seam: 'src/sock/address.ts',
        hint: 'Handle "unix:" first, then brackets for IPv6, then split host and port at the only ":". Check the port is 0..65535.',
      },
      {
        id: '5.2',
        name: 'plan',
        title: 'Decide how many workers to spawn or stop',
        seam: 'src/arbiter/plan.ts',
        hint: 'Compare the count with the target. For a surplus, sort a copy by age and take the oldest; skip null pids.',
      },
      {
        id: '5.3',
        name: 'exits',
        title: "Read a worker's exit",
        seam: 'src/arbiter/exits.ts',
        hint: 'Look at the signal first (SIGKILL, SIGTERM, others), then the exit code. Codes 3 and 4 halt the server.',
      },
    ],
  },
  {
    number: 6,
    slug: '06-hooks',
    title: 'Hooks',
    stage: true,
    exercises: [
      {
        id: '6.1',
        name: 'call',
        title: 'Call a server hook',
        seam: 'src/hooks/call.ts',
        hint:
          'Look the hook up by name; not a function: return. Call it with ...args inside try/catch and throw ' +
          'new HookError(name, err) from the catch. A returned promise: attach .catch() that calls log.error, never await it.',
      },
    ],
  },
  {
    number: 7,
    slug: '07-logging',
    title: 'Logging pitfalls',
    stage: true,
    exercises: [
      {
        id: '7.1',
        name: 'access',
        title: 'Format an access log line',
        seam: 'src/log/access.ts',
        hint:
          'Walk the parts: copy text, and for { atom } compute the value with a switch on the name. For {name}i/o/e, ' +
          'lower-case the name and search the headers from the end. undefined prints "-"; in strings, replace every " by \\".',
      },
      {
        id: '7.2',
        name: 'access-format',
        title: 'Parse the access log format, once',
        seam: 'src/log/access-format.ts',
        hint:
          'Find each "%" with indexOf. "%%" adds a "%" to the text; "%(" starts a name: scan on, counting "(" up and ")" down ' +
          'until zero, then require "s". Push the text gathered so far only when it is not empty.',
      },
    ],
  },
  {
    number: 8,
    slug: '08-timeouts',
    title: 'Timeouts',
    stage: true,
    exercises: [
      {
        id: '8.1',
        name: 'timeouts',
        title: 'Decide which workers to abort and which to kill',
        seam: 'src/arbiter/timeouts.ts',
        hint:
          'One loop over the workers. Skip those without a pid or a lastBeat, and those with now - lastBeat <= timeoutMs. ' +
          'Not aborted yet: abort. Aborted and now - abortedAt >= graceMs: kill. timeoutMs <= 0: return two empty lists.',
      },
      {
        id: '8.2',
        name: 'jitter',
        title: 'Draw a worker\'s request limit (max_requests + jitter)',
        seam: 'src/arbiter/jitter.ts',
        hint:
          'maxRequests <= 0: return 0. Otherwise maxRequests + Math.floor(random() * (jitter + 1)), with a negative ' +
          'jitter taken as 0: the "+ 1" is what makes the jitter itself a possible value.',
      },
    ],
  },
  {
    number: 9,
    slug: '09-signals',
    title: 'Signals',
    stage: true,
    exercises: [
      {
        id: '9.1',
        name: 'signals',
        title: 'Map a signal to what the master does',
        seam: 'src/arbiter/signals.ts',
        hint:
          'First the stopping case: INT and QUIT quicken, USR1 still reopens logs, anything else is ignored. Then a switch: ' +
          'HUP reload, TERM graceful stop, INT/QUIT quick stop, TTIN workers + 1, TTOU workers - 1 unless that would go below 1, ' +
          'USR1 reopen-logs, USR2 reexec unless a child or a parent master exists, WINCH scale to 0 unless on a terminal.',
      },
      {
        id: '9.2',
        name: 'rollout',
        title: 'Decide which old workers a reload retires now',
        seam: 'src/arbiter/rollout.ts',
        hint:
          'Old = age <= boundary, sorted oldest first; ready = new workers (age > boundary) that booted. Keep max(0, target - ready) ' +
          'old workers and retire the rest, oldest first; skip a worker whose pid is still null.',
      },
    ],
  },
  planned(10, '10-production', 'Production'),
];

function planned(number: number, slug: string, title: string): Chapter {
  return { number, slug, title, stage: false, exercises: [] };
}

/** The chapters that exist today, i.e. have a stage. */
export const writtenChapters = chapters.filter((c) => c.stage);

/** Finds a chapter by number ("2"), slug ("02-contract") or slug suffix ("contract"). */
export function findChapter(key: string): Chapter | undefined {
  const k = key.trim().toLowerCase();
  return chapters.find(
    (c) => String(c.number) === k || c.slug === k || c.slug.slice(3) === k || c.slug.startsWith(`${k}-`),
  );
}

export const pad2 = (n: number): string => String(n).padStart(2, '0');
