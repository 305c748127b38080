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
  /**
   * Graduated hints, from a nudge to the approach; none of them is the code. `npm run hint N.M` shows
   * the next one, and the chapter page shows them folded (<Hints id="N.M" />).
   */
  hints: string[];
  /**
   * warm-up: a small pure decision, graded by unit tests. mechanism: the heart of a mechanism (sockets,
   * processes, signals or files), graded black-box as well, on the real server with the learner's module in.
   */
  kind: 'warm-up' | 'mechanism';
  /** The estimated time a learner needs, in minutes. */
  minutes: number;
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
        hints: [
          'Read the stub\'s comment as a checklist, with RFC 3875 section 4.1 beside it: most variables are copied ' +
            'straight from the request object, and only the headers need a loop.',
          'For each header, decide in this order, comparing names in lower case: Content-Type gets a name of its own; ' +
            'Content-Length is skipped (the body length comes separately); the three credential and proxy headers are ' +
            'skipped; so is any name that contains an underscore.',
          'Every other header becomes HTTP_ and its name in upper case, each dash turned into an underscore. When that ' +
            'key already holds a value, append the new one after a comma and a space (a semicolon and a space for Cookie). ' +
            'Decode only SCRIPT_NAME and PATH_INFO, with decodePath.',
        ],
        kind: 'warm-up',
        minutes: 20,
      },
      {
        id: '1.2',
        name: 'script-path',
        title: 'Split a URL path into SCRIPT_NAME and PATH_INFO',
        seam: 'src/cgi/script-path.ts',
        hints: [
          'Refuse the hopeless cases first: a path that does not start with a slash, and a path with any segment that ' +
            'is one dot or two, written plainly or percent-encoded (%2e, in either letter case).',
          'Then walk the raw segments in order, keeping the decoded ones in a list and counting how many characters of ' +
            'the raw path they cover. decodeURIComponent decodes a segment; if it throws, or gives an empty string, or ' +
            'a slash, a backslash or NUL, the answer is null.',
          'After each segment, ask isScript about the list so far. At the first yes, the raw path up to there is ' +
            'SCRIPT_NAME and the raw rest (empty, or starting with a slash) is PATH_INFO. No yes at all: null.',
        ],
        kind: 'warm-up',
        minutes: 20,
      },
      {
        id: '1.3',
        name: 'cgi-response',
        title: 'Parse what a CGI script printed',
        seam: 'src/cgi/cgi-response.ts',
        hints: [
          'Work in two passes: split the bytes into header lines and body at the first empty line, then read the header ' +
            'lines. The body stays a Buffer; only header lines are decoded, as latin1, so no byte can make decoding fail.',
          'To split, look for each LF byte; a CR just before it belongs to the line ending. An empty line ends the head; ' +
            'running out of bytes before one is a CgiResponseError.',
          'While reading the headers, take Status out (it sets the status, it is not a header), remember the Location ' +
            'and whether a Content-Type came, and refuse duplicates. Then decide, in order: a Location starting with a ' +
            'slash must come alone (a local redirect); any other Location must be an absolute URL; a body needs a ' +
            'Content-Type; without Status, a Location means 302 Found and no Location means 200 OK.',
        ],
        kind: 'warm-up',
        minutes: 25,
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
        hints: [
          'Chapter 1 did most of the work: the environ starts as the object that buildMetaVariables returns for the request.',
          'Add RAW_URI, the raw script name and path info with the query after a question mark only when there is one. ' +
            'Then copy the wsgi keys from the server context one by one; only wsgi.version and wsgi.input_terminated are ' +
            'fixed values.',
        ],
        kind: 'warm-up',
        minutes: 10,
      },
      {
        id: '2.2',
        name: 'start-response',
        title: 'Enforce the rules of startResponse',
        seam: 'src/app/start-response.ts',
        hints: [
          'The whole state is two facts: the head that startResponse recorded (if any), and whether it has been sent. ' +
            'Keep both in variables inside createResponder, shared by the functions it returns.',
          'Write one small inner function that sends the head unless it has gone already, and complains when there is ' +
            'no head at all. write and finish both go through it: that is how the head goes out exactly once.',
          'In startResponse the order of the checks matters: a second call without excInfo is refused; a call with ' +
            'excInfo once the head was sent throws excInfo itself; only then check the status and headers, and record ' +
            'them, replacing an earlier head.',
        ],
        kind: 'warm-up',
        minutes: 25,
      },
      {
        id: '2.3',
        name: 'run-app',
        title: 'Drive an application: iterate its body, always close it',
        seam: 'src/app/run-app.ts',
        hints: [
          'The function is one try block with a finally, and the finally is where the body\'s close() runs, whatever ' +
            'happened in the try. Declare the body before the try, so that the finally can see it.',
          'In the try: await what the app returns, refuse a string or anything that is not an object, then a for await ' +
            'loop (it takes arrays, generators and async generators alike) hands each chunk to the responder\'s write; ' +
            'finish comes last. The responder already knows when to send the head.',
        ],
        kind: 'warm-up',
        minutes: 20,
      },
      {
        id: '2.4',
        name: 'app-spec',
        title: 'Parse an application spec "path/to/file.ts:name"',
        seam: 'src/app/app-spec.ts',
        hints: [
          'Trim the spec, then look for its last colon (lastIndexOf): a path may hold colons of its own, an export name never does.',
          'No colon, or a slash or backslash after it (a Windows drive), means the whole text is the file and the export ' +
            'is app; otherwise split there. An empty file part, or a name that is not a JavaScript identifier, is an AppSpecError.',
        ],
        kind: 'warm-up',
        minutes: 15,
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
        hints: [
          'Check the length against the limit before you look at a single byte: an over-long line is a 414 whatever it ' +
            'contains, and a limit of 0 means no limit.',
          'Walk the bytes with one index: token bytes for the method, exactly one space, visible bytes for the target, ' +
            'exactly one space, and then exactly eight bytes shaped "HTTP/" digit "." digit. Anything else is a 400.',
          'Only once the version is well formed, decide 505 (anything but 1.0 and 1.1). Then match the target against ' +
            'the method: host:port for CONNECT and only for it, "*" for OPTIONS only, else a path starting with "/" or ' +
            'an absolute URL with "://". Decode the line once with latin1 and slice the strings out of it.',
        ],
        kind: 'warm-up',
        minutes: 20,
      },
      {
        id: '3.2',
        name: 'framing',
        title: 'Decide where the request body ends',
        seam: 'src/http/framing.ts',
        hints: [
          'Gather before you decide: walk the headers once, names compared without case, and collect every ' +
            'Content-Length value and every Transfer-Encoding element (one header may hold a comma-separated list, ' +
            'and several headers make one list).',
          'Decide Transfer-Encoding first. Together with a Content-Length, on HTTP/1.0, with an empty element, with ' +
            'chunked twice or chunked anywhere but last: 400. Any other coding in the list: 501. Trim each element ' +
            'with trimOws (never String.prototype.trim) and compare without case.',
          'Then Content-Length: a second one is a 400 even when the values agree, and the value is 1 to 15 decimal ' +
            'digits and nothing else. With neither header there is no body at all.',
        ],
        kind: 'warm-up',
        minutes: 20,
      },
      {
        id: '3.3',
        name: 'chunked',
        title: 'Decode a chunked body as it arrives',
        seam: 'src/http/chunked.ts',
        hints: [
          'The decoder sits in one of a few states between two pushes: reading a size line, reading data, expecting ' +
            'the CRLF after the data, reading trailer lines, done. Keep that state, and the bytes left in the current ' +
            'chunk, on the object, and let each push carry on from there.',
          'Lines (sizes and trailers) can be split across pushes: find the LF with Buffer.indexOf, keep a piece that has ' +
            'none yet and put it in front of the next push, check that the byte before each LF is a CR, and refuse a ' +
            'line that grows past limits.fieldSize.',
          'A size line is 1 to 16 hex digits, then extensions that you check against the grammar and drop. Data goes out ' +
            'as subarray views of the input. After the zero-size line, gather the trailer lines up to the empty one, ' +
            'parse them with parseHeaders as a "trailer" block, and hand back the bytes after the body as rest.',
        ],
        kind: 'warm-up',
        minutes: 35,
      },
      {
        id: '3.4',
        name: 'headers',
        title: 'Parse the header block, with its limits',
        seam: 'src/http/headers.ts',
        hints: [
          'Decode the block once with latin1 and walk it with one index, one field line per turn of the loop, until the ' +
            'index reaches the end of the block. Check the field count at the top of each turn (431).',
          'Within a line, in this order: a first byte that is SP or HTAB is obs-fold (400); then token bytes, and the ' +
            'byte that stops them must be the colon (a space, a tab, a missing colon or an empty name: 400); then skip ' +
            'SP and HTAB, take value bytes, and the byte that stops them must be a CR with an LF right after it (400).',
          'Trim SP and HTAB off the end of the value by walking an end index back, not with trim(). Measure the line ' +
            'from its first byte through its LF against limits.fieldSize (431), keep the pair, and start the next line ' +
            'after the LF. Put client bytes into messages only through quote().',
        ],
        kind: 'mechanism',
        minutes: 30,
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
        hints: [
          'Ask what stops a worker from taking one more connection: either it is on its way out, or it already ' +
            'holds as many connections as its class allows.',
          'Decide the stopping case first, since it wins whatever the counts say. Then each class has its own cap: ' +
            'one connection for sync, worker_connections for async.',
          'A sync worker ignores worker_connections entirely. An async worker holding exactly worker_connections is ' +
            'full: the cap is reached, and the next connection must go to another worker.',
        ],
        kind: 'warm-up',
        minutes: 10,
      },
      {
        id: '4.2',
        name: 'budget',
        title: 'Count requests against max_requests',
        seam: 'src/worker/budget.ts',
        hints: [
          'The budget must remember one number between calls: how many requests it has counted. A closure around ' +
            'the returned object keeps it private to that budget.',
          'Turn max_requests 0 into "no limit" once, before returning (Infinity compares like any number). ' +
            'take() then counts first, and answers whether the new count is still below the limit.',
          'Make used a getter, so that it reads the current count rather than a copy taken when the object was made.',
        ],
        kind: 'warm-up',
        minutes: 10,
      },
      {
        id: '4.3',
        name: 'loops',
        title: "Write the worker's loop: sync and async",
        seam: 'src/worker/loops.ts',
        hints: [
          'The loop reacts to three events only: a gate hands over a connection, a connection ends, stop() is ' +
            'called. Keep a little state (the gates, the connections held now, alive or stopping) and, after each ' +
            'event, let your 4.1 rule say whether every gate should be open or closed.',
          "Set each gate's onConnection. In it, add the connection to the set and apply the rule before anything " +
            'else: for a sync worker that closes the gates in the same tick, so the next connection stays in the ' +
            'kernel for an idle worker. Serve it with serveConnection: sync sets closeAfterEachResponse, async is ' +
            'multithread; shouldClose answers yes for sync, and for any worker that is stopping. When the returned ' +
            'promise settles, remove the connection and apply the rule again.',
          'Sync: chain each connection onto the promise of the previous one, so that one taken by a second listener ' +
            'before the gates closed waits its turn. Pass onRequest to serveConnection, with onActivity called just ' +
            'before it; call onActivity on accept and when a connection ends too. stop(): mark the worker not alive, ' +
            'apply the rule (the gates close for good), and resolve at once if nothing is open, else where the last ' +
            'connection ends.',
        ],
        kind: 'mechanism',
        minutes: 45,
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
        hints: [
          'Decide the kind first: a spec that starts with "unix:" names a file, everything else is a host and a port. ' +
          'Trim the spaces and drop an optional "tcp://" before anything else.',
          'IPv6 addresses are full of colons, which is why they come in brackets: take the host from between "[" and "]" ' +
          'and look for the port only after the "]". Without brackets, more than one colon is the ambiguous case.',
          'Then the defaults and the checks: no port means DEFAULT_PORT, an empty host means 0.0.0.0, the host is lower-cased, ' +
          'the family follows from a colon in the host. A port must be digits only and at most 65535; ' +
          'every refusal is an AddressError whose message quotes what was wrong.',
        ],
        kind: 'warm-up',
        minutes: 20,
      },
      {
        id: '5.2',
        name: 'plan',
        title: 'Decide how many workers to spawn or stop',
        seam: 'src/arbiter/plan.ts',
        hints: [
          'Only two numbers decide whether to spawn: how many workers there are (started or not) and the target.',
          'For a surplus, the oldest workers go first: order a copy of the list by age (never sort the caller\'s array), ' +
          'take as many as the surplus from the front, and list their pids, leaving out those whose pid is still null.',
        ],
        kind: 'warm-up',
        minutes: 15,
      },
      {
        id: '5.3',
        name: 'exits',
        title: "Read a worker's exit",
        seam: 'src/arbiter/exits.ts',
        hints: [
          'A process ends one of two ways: killed by a signal (no code) or by exiting with a code (no signal). Look at the signal first.',
          'The doc comment gives each log line word for word: copy them with the pid and the code filled in. ' +
          'An exit code of 0 has no line at all.',
          'The halt is a separate question: only codes 3 and 4 stop the server, with the reasons given, and the log line ' +
          'is written for them as for any other non-zero code.',
        ],
        kind: 'warm-up',
        minutes: 15,
      },
      {
        id: '5.4',
        name: 'spawn',
        title: 'Start a worker: fork it, pass it the sockets, hear its boot and exit',
        seam: 'src/worker/spawn.ts',
        hints: [
          'child_process.fork does the starting: it runs a new node process on a file, with node options (execArgv), ' +
          'arguments, an environment (env) and an IPC channel. Every option you need is in the doc comment.',
          'After the fork, the master only listens to the child: its "message" event brings the worker\'s requests and news, ' +
          'its "exit" event the code or the signal. Branch on the message\'s cmd; a socket travels as the second argument of child.send.',
          'Read listeners() inside the message handler, skip an index it does not have, and send one message per copy while ' +
          'child.connected holds. Give the child an "error" listener, so that a send to a worker that just died is not an ' +
          'uncaught error. Take the pid once, right after the fork, and return the child.',
        ],
        kind: 'mechanism',
        minutes: 40,
      },
      {
        id: '5.5',
        name: 'loop',
        title: 'The master\'s event loop: one event at a time, into the core, effects out',
        seam: 'src/arbiter/loop.ts',
        hints: [
          'Keep three things in the closure: the current state, an array of events waiting, and a flag that says an ' +
            'event is being handled right now. The object you return reads the state through a getter, so it is never stale.',
          'dispatch always adds the event to the end of the array. If the flag is already up, that is all: the call that ' +
            'raised it is further up the stack and will get to the event. Otherwise raise it, take events from the front ' +
            'until none is left (step, keep the state, perform each effect), and lower it.',
          'For chapter 9, wrap only the step call in a try. When it throws on an ordinary event, put a fatal event at the ' +
            'front of the array and carry on; when it throws on a fatal event, remember that you gave up, empty the array, ' +
            'call onAbandon, and make dispatch return at once from then on.',
        ],
        kind: 'mechanism',
        minutes: 40,
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
        hints: [
          'callHook is a careful wrapper around one function call. The settings hold what the config file exported ' +
            'under the hook\'s name: anything that is not a function (null is the default) means there is nothing to do.',
          'Call the hook with the arguments spread out, inside a try. What it throws goes back to your caller wrapped in ' +
            'a HookError that names the hook; do not log it here, because each caller decides what it means (the master ' +
            'stops at start-up, a request gets a 500, worker_exit only logs).',
          'Then look at what the hook returned. A Promise is not awaited (hooks are synchronous, as in gunicorn), but it ' +
            'gets a rejection handler that writes the error with log.error, starting "Exception in" and the hook\'s name; ' +
            'without one, a rejection kills the process as an unhandled rejection.',
        ],
        kind: 'mechanism',
        minutes: 25,
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
        hints: [
          'The format is already parsed: copy the text parts as they are, and work only on the atoms the format names, ' +
          'one at a time, so that an atom nobody asked for costs nothing.',
          'One switch on the atom\'s name covers the one-letter atoms. The environ and the exchange hold every fact ' +
          '(REMOTE_ADDR, the pieces of the request line, the status, the bytes sent, the microseconds), and the given ' +
          'accessLogTime formats the time.',
          'A name in braces ends in i, o or e: a request header, a response header or an environ key. Compare header names ' +
          'without regard to case and search from the last header, so that the last repeat wins. Anything missing prints ' +
          'a dash, and a double quote inside a value gets a backslash in front of it.',
        ],
        kind: 'warm-up',
        minutes: 30,
      },
      {
        id: '7.2',
        name: 'access-format',
        title: 'Parse the access log format, once',
        seam: 'src/log/access-format.ts',
        hints: [
          'Go through the format once, from left to right, gathering literal text until a percent sign. The character ' +
          'after it decides: a second percent sign is text, an opening parenthesis starts a name, anything else is an error.',
          'A name runs to its matching closing parenthesis, not the first one: keep a depth that goes up at each opening ' +
          'parenthesis and down at each closing one, and stop when it is back to zero. The character after the name must be s.',
          'Hand over the gathered text just before each atom and at the end, and only when it is not empty. Each error ' +
          'message gives the index of the percent sign where the trouble started.',
        ],
        kind: 'warm-up',
        minutes: 20,
      },
      {
        id: '7.3',
        name: 'files',
        title: 'Share a log file between processes, and reopen it on USR1',
        seam: 'src/log/files.ts',
        hints: [
          'Open with fs.openSync and the \'a\' flag: with O_APPEND the kernel puts every write at the end of the file, ' +
          'whatever the other processes wrote meanwhile. Then make each line exactly one fs.writeSync call, and look at ' +
          'the number it returns: fewer bytes than the line means a second call for the rest.',
          'reopenLogFiles needs to know every file of this process: keep them in one collection at module level, which the ' +
          'constructor adds to and close removes from. Walk it with a try/catch around each file, so that one failure ' +
          'becomes a message and the others still reopen.',
          'In reopen, open the path first and change nothing until that worked; then switch to the new descriptor and ' +
          'close the old one. For the path "-" there is nothing to open, reopen or close: the descriptor is the std number given.',
        ],
        kind: 'mechanism',
        minutes: 40,
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
        hints: [
          'Each worker is judged on its own facts (its pid, when it last beat, when it was aborted) and the clock. ' +
          'Settle the case where the check is off before you look at any worker.',
          'One pass over the workers, in order. Skip a worker you cannot judge (no pid yet, never heard from) and one heard ' +
          'from recently enough; "recently enough" includes a silence of exactly the timeout.',
          'A late worker that was never aborted goes to the abort list; one that was aborted goes to the kill list, but only ' +
          'once the time since its abort has reached the grace. Filling both lists in the same pass keeps their order.',
        ],
        kind: 'warm-up',
        minutes: 15,
      },
      {
        id: '8.2',
        name: 'jitter',
        title: 'Draw a worker\'s request limit (max_requests + jitter)',
        seam: 'src/arbiter/jitter.ts',
        hints: [
          'Two cases: no limit at all (a max_requests that is not positive gives 0, whatever the jitter), and max_requests ' +
          'plus a random whole extra.',
          'random() is at least 0 and always below 1. Stretch it over one more slice than the jitter and round down: each ' +
          'whole number from 0 to the jitter then gets one equal slice, the jitter itself included.',
          'Clamp a negative jitter to 0 before you stretch, then add the extra to max_requests.',
        ],
        kind: 'warm-up',
        minutes: 10,
      },
      {
        id: '8.3',
        name: 'heartbeat',
        title: "Send the worker's heartbeat",
        seam: 'src/worker/heartbeat.ts',
        hints: [
          'Beats have two sources, a repeating timer and pulse(), and both end in a call of send: decide when each may ' +
          'make it. A timeout of 0 leaves nothing of either: no timer at all, and a pulse that does nothing.',
          'The timer\'s period is beatInterval: a quarter of the timeout, kept between 100 and 1000 ms. At every tick it ' +
          'asks whether it may beat: always for async, only when idle() says so for sync. A Node.js timer keeps the ' +
          'process alive unless you call unref() on it.',
          'Keep the time of the last beat (performance.now()) in the closure, and have the timer and pulse() both beat ' +
          'through one small function that records it and calls send. pulse() beats only when PULSE_GAP_MS or more have ' +
          'passed; start the record far in the past so that the first pulse goes out.',
        ],
        kind: 'mechanism',
        minutes: 30,
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
        hints: [
          'Two situations, two questions. Is a stop already under way? Then only three signals still matter (two that ' +
          'hurry the stop along, one that keeps log rotation working), and every other one is logged and ignored.',
          'Otherwise, one switch over the nine signals. Most of them map straight to one action; three have a condition ' +
          'that turns them into an ignore: the last worker (TTOU), an upgrade already running in either direction (USR2, ' +
          'with gunicorn\'s own warnings, word for word), and a terminal (WINCH).',
          'Take the contract above the function one bullet at a time, one case each. A scale action carries the new ' +
          'count: one more or one fewer than the context says, or zero for WINCH. A why you write yourself only ' +
          'has to name the signal.'],
        kind: 'warm-up',
        minutes: 20,
      },
      {
        id: '9.2',
        name: 'rollout',
        title: 'Decide which old workers a reload retires now',
        seam: 'src/arbiter/rollout.ts',
        hints: [
          'Split the workers in two by comparing each age with the boundary: the old generation and the new one. Of the ' +
          'new ones, only those that have booted can serve yet.',
          'The server must keep the target number able to serve, old workers and booted new ones together. So each ' +
          'booted new worker lets one old worker go, until none of the old ones is needed; never a negative count.',
          'Sort the old generation by age so the oldest go first, and take that many from the front. Leave out a worker ' +
          'whose pid is still null after choosing, so that no other old worker takes its place.'],
        kind: 'warm-up',
        minutes: 15,
      },
      {
        id: '9.3',
        name: 'worker-signals',
        title: 'Handle signals in the worker: hold them during boot, then stop gracefully or at once',
        seam: 'src/worker/signals.ts',
        hints: [
          'Node.js kills a process on TERM, INT or QUIT only while nothing listens for that signal. So holding is just ' +
          'listening: one small listener, shared by the three, that remembers which kinds came (a Set keeps each once).',
          'release() undoes the holding first (remove that same listener from each of the three), then sends each ' +
          'remembered signal again to the process itself, with process.kill and its own pid. By then the real handlers ' +
          'listen, and Node hands the signal to them.',
          'handleWorkerSignals is one listener on process per event. TERM and the disconnect event wait until the promise ' +
          'that stop returns resolves, then exit with code 0 (disconnect logs its line first). INT and QUIT share one ' +
          'listener: onQuit, then exit with code 0 at once. ABRT: onAbort, then code 1. Install nothing for HUP or USR2.'],
        kind: 'mechanism',
        minutes: 45,
      },
    ],
  },
  {
    number: 10,
    slug: '10-production',
    title: 'Production',
    stage: true,
    exercises: [
      {
        id: '10.1',
        name: 'proxy',
        title: 'Decide which proxy headers to trust: the client\'s scheme from a trusted peer only',
        seam: 'src/http/proxy.ts',
        hints: [
          'Start with urlScheme: an untrusted peer ends it at once. Otherwise put the table\'s names in one letter case, ' +
            'walk the headers in order, and for each listed one work out the scheme it says. Remember the first answer; ' +
            'a later listed header that says the other scheme is the 400.',
          'trustsPeer: answer the unix socket and \'*\' first. Then let Node compare addresses: node:net\'s isIP gives a ' +
            'family (0 for no address at all), and its BlockList holds single addresses and subnets, answers check(address, ' +
            'family), and already treats ::ffff:a.b.c.d as a.b.c.d. Split each item at its slash to know which kind it is.',
          'allowItemProblem: isIP settles the plain addresses. For ADDRESS/PREFIX, check each half, then write the address ' +
            'as one number (a BigInt of 32 or 128 bits: for IPv6, expand "::" into the missing zero groups, and a dotted IPv4 ' +
            'tail into two groups). Any bit set after the first PREFIX bits is the problem; clearing them gives the network ' +
            'to name, written back as an address.',
        ],
        kind: 'warm-up',
        minutes: 30,
      },
      {
        id: '10.2',
        name: 'listen-fds',
        title: 'Take the sockets systemd passes (LISTEN_FDS, LISTEN_PID), and only those',
        seam: 'src/sock/systemd.ts',
        hints: [
          'Copy the three values out of env into local constants, then delete the three keys, before any check: ' +
            'every later return and every throw then leaves env clean without a second thought.',
          'Follow sd_listen_fds\'s order: no LISTEN_FDS means not activated; no LISTEN_PID, or one that differs from ' +
            'pid, means "not for us" (a reason, not an error); only then read LISTEN_FDS. Test each text against a ' +
            'digits-only pattern before converting it: Number turns "", " 2" and "1.5" into numbers without complaint.',
          'For planSockets, build the fd list in two passes (the fd addresses, then the activated fds), skipping an fd ' +
            'already listed. The remaining addresses all go to one side: bind when the list is empty, ignored otherwise.',
        ],
        kind: 'warm-up',
        minutes: 20,
      },
      {
        id: '10.3',
        name: 'watch',
        title: 'Watch the app\'s files for --reload: one call per burst of changes',
        seam: 'src/arbiter/watch.ts',
        hints: [
          'Group the files by their directory and watch each directory once, with node:fs watch. Its listener gets the ' +
          'name of the entry that changed: keep it only when it is one of the names you watch in that directory. A ' +
          'watch on the directory survives what a watch on the file does not: a save that renames a new file over it.',
          'Changes go into a set of absolute paths. Each one (re)starts a single timer of debounceMs; when the timer ' +
          'finally fires, hand the sorted set to onChange and empty it. A burst of writes keeps pushing the timer back, ' +
          'so it ends in one call.',
          'watch() throws at once for a directory that does not exist: catch it, report it to onError, and go on with ' +
          'the others (an error event later gets the same treatment). update() closes the directory watchers no longer ' +
          'needed, opens the new ones and replaces the names of the rest. close() sets a flag, clears the timer and closes ' +
          'every watcher. Pass persistent: false so a watcher never keeps the process alive.',
        ],
        kind: 'mechanism',
        minutes: 40,
      },
    ],
  },
];

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
