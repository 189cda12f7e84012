import { type ServiceExit, ServiceProcess, type ServiceSpec } from "./service-process.js";

export interface SupervisorOptions {
  readonly logsDir: string;
  /** Called once per service that exits without having been told to. */
  readonly onUnexpectedExit: (service: ServiceProcess, exit: ServiceExit) => void;
  readonly baseEnv?: NodeJS.ProcessEnv;
}

export interface StartOptions {
  /** The service ends by itself (e.g. a task generator with --max-tasks): its exit is no failure. */
  readonly mayExit?: boolean;
}

/**
 * Runs the devnet's services as child processes, tells an expected exit (we stopped it) from
 * an unexpected one (it died), and stops them all on shutdown.
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #services = new Map<string, ServiceProcess>();
  readonly #expectedExits = new WeakSet<ServiceProcess>();
  #shuttingDown = false;

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  get logsDir(): string {
    return this.#options.logsDir;
  }

  /** Starts a service; a name may be reused once its previous process has exited (a restart). */
  start(spec: ServiceSpec, options: StartOptions = {}): ServiceProcess {
    const previous = this.#services.get(spec.name);
    if (previous?.running) throw new Error(`${spec.name} is already running (pid ${previous.pid})`);
    if (this.#shuttingDown) throw new Error(`not starting ${spec.name}: shutting down`);
    const service = ServiceProcess.start(spec, this.#options.logsDir, this.#options.baseEnv);
    if (options.mayExit) this.#expectedExits.add(service);
    this.#services.set(spec.name, service);
    void service.exited.then((exit) => {
      if (!this.#shuttingDown && !this.#expectedExits.has(service)) {
        this.#options.onUnexpectedExit(service, exit);
      }
    });
    return service;
  }

  get(name: string): ServiceProcess | undefined {
    return this.#services.get(name);
  }

  /** The latest process of each service, in start order. */
  list(): ServiceProcess[] {
    return [...this.#services.values()];
  }

  /** Stops one service on purpose (SIGTERM, SIGKILL after the grace period). */
  stop(name: string, graceMs?: number): Promise<ServiceExit> {
    const service = this.#required(name);
    this.#expectedExits.add(service);
    return service.stop(graceMs);
  }

  /** Kills one service on purpose, by default without a chance to clean up (SIGKILL). */
  kill(name: string, signal: NodeJS.Signals = "SIGKILL"): Promise<ServiceExit> {
    const service = this.#required(name);
    this.#expectedExits.add(service);
    return service.kill(signal);
  }

  /**
   * Stops every service: first those named in `first` (in that order, e.g. the task generator
   * so no task is created while the rest goes down), then all the others at once.
   */
  async stopAll(first: readonly string[] = [], graceMs?: number): Promise<Map<string, ServiceExit>> {
    this.#shuttingDown = true;
    const exits = new Map<string, ServiceExit>();
    for (const name of first) {
      const service = this.#services.get(name);
      if (service) exits.set(name, await service.stop(graceMs));
    }
    const rest = this.list().filter((service) => !first.includes(service.name));
    const results = await Promise.all(rest.map((service) => service.stop(graceMs)));
    for (const [i, service] of rest.entries()) exits.set(service.name, results[i]!);
    return exits;
  }

  #required(name: string): ServiceProcess {
    const service = this.#services.get(name);
    if (service === undefined) throw new Error(`no service named ${name}`);
    return service;
  }
}
