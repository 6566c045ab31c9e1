// What a worker process runs: it loads the application, accepts on the sockets the primary opened
// (inherited descriptors), beats its heart for --timeout, counts --max-requests, writes its own
// logs, and stops on the primary's signals: TERM gracefully (stop accepting, let the connections
// just accepted settle, drain), QUIT at once, USR1 reopens its log files. Whatever keeps it from
// starting is one line for the primary.

import type { Application } from '../src/types.js';
import { AccessLog, type AccessRecord } from './accesslog.js';
import { listenOn } from './binds.js';
import { CliError } from './cli-error.js';
import { fitToDescriptors } from './descriptors.js';
import { loadApplication } from './modules.js';
import type { Server, ServerOptions } from './node.js';
import { openErrorLog } from './process-logs.js';
import { ms, serverOptionsOf } from './settings.js';
import { SETTLE_MS, takePlan, toPrimary, type ToWorker } from './worker-messages.js';

async function serveAsWorker(): Promise<void> {
  const plan = takePlan();
  const s = plan.settings;
  const timeout = s.timeout > 0 ? ms(s.timeout) : 0;
  if (timeout > 0) {
    toPrimary({ wasgi: 'beat' });
    setInterval(() => toPrimary({ wasgi: 'beat' }), Math.min(1000, Math.max(50, Math.floor(timeout / 4))));
  }

  const errorLogs = openErrorLog(s, `worker ${process.pid}: `);
  const log = errorLogs.log;
  const access = s.accessLogfile !== null
    ? new AccessLog(s.accessLogfile, s.accessLogformat, (message) => log.log('error', `worker ${process.pid}: ${message}`))
    : null;
  const servers: Server[] = [];
  let stopping = false;

  const exit = (code: number): never => {
    access?.file.close();
    errorLogs.close();
    process.exit(code);
  };
  const fatal = (error: unknown): void => {
    const message = error instanceof CliError ? error.message : error instanceof Error ? String(error.stack) : String(error);
    const code = error instanceof CliError ? error.exitCode : 1;
    toPrimary({ wasgi: 'fatal', message, code }, () => exit(code));
  };
  const stop = async (graceful: number): Promise<void> => {
    if (stopping) {
      // Already stopping: QUIT cuts it short.
      if (graceful === 0) await Promise.all(servers.map((server) => server.shutdown()));
      return;
    }
    stopping = true;
    // Stop accepting first (the backlog is the other workers' now), then let the connections
    // accepted a moment ago send their requests before the drain.
    if (graceful > 0) {
      for (const server of servers) server.stopAccepting();
      await new Promise((resolve) => setTimeout(resolve, Math.min(graceful, SETTLE_MS)));
    }
    await Promise.all(servers.map((server) => server.shutdown({ graceful })));
    exit(0);
  };

  process.on('SIGTERM', () => void stop(ms(s.gracefulTimeout)));
  process.on('SIGQUIT', () => void stop(0));
  process.on('SIGUSR1', () => {
    errorLogs.file.reopen();
    access?.file.reopen();
  });
  process.on('message', (message: ToWorker) => {
    if (message?.wasgi === 'multiprocess') for (const server of servers) server.setMultiprocess(message.value === true);
  });
  // Meant for the primary (a terminal sends them to the whole process group).
  for (const signal of ['SIGINT', 'SIGHUP', 'SIGTTIN', 'SIGTTOU', 'SIGWINCH'] as const) process.on(signal, () => {});
  // A promise the application left to fail on its own harms no request of ours: log it, go on.
  process.on('unhandledRejection', (reason) => {
    log.error(`worker ${process.pid}: a promise was rejected and nothing handled it (in the application); the worker goes on`, reason);
  });
  process.on('uncaughtException', (error) => {
    log.error(`worker ${process.pid}: uncaught exception; the worker exits`, error);
    exit(1);
  });

  let app: Application;
  try {
    app = await loadApplication(s.app as string);
  } catch (error) {
    fatal(error);
    return;
  }

  const limit = s.maxRequests > 0 ? s.maxRequests + Math.floor(Math.random() * (s.maxRequestsJitter + 1)) : 0;
  let served = 0;
  const accessLog = access !== null || limit > 0
    ? (record: AccessRecord): void => {
      access?.write(record);
      // Requests the server refused itself do not count toward --max-requests.
      if (!record.rejected && ++served === limit) toPrimary({ wasgi: 'retire', served });
    }
    : undefined;
  const fit = fitToDescriptors(s.maxConnections, s.backlog, s.bind.length);
  if (fit.warning !== null) log.log('warning', `worker ${process.pid}: ${fit.warning}`);
  const options: ServerOptions = {
    ...serverOptionsOf(s),
    maxConnections: fit.maxConnections,
    backlog: fit.backlog,
    // The worker writes its logs itself (the access log also counts --max-requests).
    accessLogfile: null,
    errorLog: errorLogs.file.write,
    multiprocess: plan.multiprocess,
    accessLog,
  };
  const addresses: string[] = [];
  for (const [i, bind] of s.bind.entries()) {
    try {
      const listening = await listenOn(bind, plan.fds[i], app, options);
      servers.push(listening.server);
      addresses.push(listening.address);
    } catch (error) {
      fatal(error);
      return;
    }
  }
  if (stopping) {
    // A stop came while starting: the servers that exist stop too.
    await Promise.all(servers.map((server) => server.shutdown()));
    exit(0);
  }
  toPrimary({ wasgi: 'listening', addresses });
}

/**
 * Runs this process as a worker of the primary that forked it (see isWorkerProcess()), until the
 * primary stops it: the process exits by itself.
 */
export function runWorker(): void {
  serveAsWorker().catch((error: unknown) => {
    // Anything that went wrong outside the guarded steps: still one line for the primary.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    toPrimary({ wasgi: 'fatal', message, code: 1 }, () => process.exit(1));
  });
}
