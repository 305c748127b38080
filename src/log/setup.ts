// @chapter 7
// The master's logging, set up before its first line: the error log opened, the access log's file and
// format checked, so that a typo stops the server at once (exit 1) rather than in every worker.
import { ConfigError, type Settings } from '../config/settings.ts';
import { AccessFormatError, parseAccessFormat } from './access-format.ts';
import { checkWritable, LogFile } from './files.ts';
import { createLogger, type Logger } from './logger.ts';

type LogSettings = Pick<Settings, 'loglevel' | 'errorlog' | 'accesslog' | 'access_log_format'>;

/** The master's error logger. Throws ConfigError for a log file it cannot open or a bad format. */
export function masterLogger(settings: LogSettings): Logger {
  try {
    parseAccessFormat(settings.access_log_format);
  } catch (err) {
    if (!(err instanceof AccessFormatError)) throw err;
    throw new ConfigError(`Invalid value for access_log_format (--access-logformat): ${err.message}`);
  }
  const problem = (settings.accesslog !== null && checkWritable(settings.accesslog, 'accesslog (--access-logfile)')) || null;
  if (problem) throw new ConfigError(problem);
  let file: LogFile;
  try {
    file = new LogFile(settings.errorlog, 2);
  } catch (err) {
    throw new ConfigError(`errorlog (--error-logfile): cannot open ${JSON.stringify(settings.errorlog)} for appending: ${(err as Error).message}`);
  }
  return createLogger({ level: settings.loglevel, file });
}

/**
 * A worker's error logger, on the same file, opened by the worker itself. If it cannot (the file was
 * rotated to one the worker may not open), the worker logs to stderr and says so, rather than not start.
 */
export function workerLogger(level: Settings['loglevel'], errorlog: string): Logger {
  try {
    return createLogger({ level, file: new LogFile(errorlog, 2) });
  } catch (err) {
    const log = createLogger({ level });
    log.error(`Cannot open the error log ${JSON.stringify(errorlog)}: ${(err as Error).message}; logging to stderr`);
    return log;
  }
}
