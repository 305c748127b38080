// @chapter 7
// A worker's access log: the format parsed once, the file opened once (O_APPEND), one write per line.
import { parseAccessFormat } from './access-format.ts';
import { formatAccessLog, type Exchange } from './access.ts';
import { LogFile, type LogPath } from './files.ts';

export type AccessLog = (exchange: Exchange) => void;

// #region create
/**
 * The access logger for `accesslog`, or undefined when it is off (null). If this worker cannot open
 * the file (the master could at start; a rotation may have changed its owner since), it says so in
 * the error log and serves without one, rather than fail to boot and stop the whole server.
 */
export function createAccessLog(path: LogPath | null, format: string, log: { error(message: string): void }): AccessLog | undefined {
  if (path === null) return undefined;
  const parts = parseAccessFormat(format);
  let file: LogFile;
  try {
    file = new LogFile(path, 1); // '-' is stdout, as in gunicorn
  } catch (err) {
    log.error(`Cannot open the access log ${JSON.stringify(path)}: ${(err as Error).message}; this worker writes no access lines`);
    return undefined;
  }
  /* >>> chapters 7-9
  return (exchange) => file.write(`${formatAccessLog(parts, exchange)}\n`);
  <<< chapters 7-9 */
  // >>> chapter 10
  // #region lost-lines
  // LogFile never throws (a full disk must not take the server down), so it is here that an operator
  // learns lines are being lost: at the first one, then at most once a minute, never once per request.
  let reported = 0;
  let reportedAt = -Infinity;
  return (exchange) => {
    file.write(`${formatAccessLog(parts, exchange)}\n`);
    if (file.dropped === reported || Date.now() - reportedAt < LOST_LINES_EVERY_MS) return;
    log.error(`Cannot write to the access log ${JSON.stringify(path)} (a full disk, or a closed pipe): ${file.dropped} line(s) lost by this worker so far`);
    reported = file.dropped;
    reportedAt = Date.now();
  };
  // #endregion lost-lines
  // <<< chapter 10
}
// >>> chapter 10

const LOST_LINES_EVERY_MS = 60_000;
// <<< chapter 10
// #endregion create
