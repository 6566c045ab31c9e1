// What the primary and its workers tell each other: the plan a worker is started with (in its
// environment), the messages over the IPC channel both ways, and the pause a stopping worker
// takes, which the primary counts into its wait.

import type { Settings } from './settings.js';

const PLAN_ENV = 'WASGI_WORKER_PLAN';

/** What a worker is told: the settings, with every bind resolved (port 0 already chosen). */
export interface WorkerPlan {
  settings: Settings;
  multiprocess: boolean;
  /** The worker's descriptor of each bind's socket, in the order of settings.bind. */
  fds: number[];
}

export type ToWorker = { wasgi: 'multiprocess'; value: boolean };

export type FromWorker =
  | { wasgi: 'beat' }
  | { wasgi: 'listening'; addresses: string[] }
  | { wasgi: 'retire'; served: number }
  | { wasgi: 'fatal'; message: string; code: 1 | 2 };

/**
 * A worker told to stop gracefully first stops accepting and waits this long (at most its graceful
 * time) for the connections it has just accepted to send their first request, which it then
 * answers: the server's drain closes connections that are idle, and a connection accepted a moment
 * ago is idle only because its request is still on its way.
 */
export const SETTLE_MS = 300;

/** The environment of a worker started with `plan`. */
export function planEnv(plan: WorkerPlan): NodeJS.ProcessEnv {
  return { [PLAN_ENV]: JSON.stringify(plan) };
}

/** Whether this process is a worker the primary started (it has a plan and a channel to the primary). */
export function isWorkerProcess(): boolean {
  return process.send !== undefined && process.env[PLAN_ENV] !== undefined;
}

/** The plan this worker was started with, taken out of its environment (the application does not see it). */
export function takePlan(): WorkerPlan {
  const plan = JSON.parse(process.env[PLAN_ENV] as string) as WorkerPlan;
  delete process.env[PLAN_ENV];
  return plan;
}

/** Sends `message` to the primary; `then` runs once it is sent (or at once, with no primary to send to). */
export function toPrimary(message: FromWorker, then?: () => void): void {
  if (process.connected && process.send !== undefined) process.send(message, undefined, {}, () => then?.());
  else then?.();
}
