import { type RunInfo, type StepHandler, toHandler } from "../handler.js";

/**
 * What one execution of a run in this process gets from the host, beyond what every run shares:
 * the handlers its kinds' `forRun` made for it (made on first use, dropped when the run stops
 * here), and the scope of its circuit-breaker and retry-budget keys (`EngineOptions.breakerScope`).
 */
export class RunServices {
  private readonly made = new Map<string, StepHandler>();

  constructor(
    /** The run as its handlers see it (`ctx.run`); frozen. */
    readonly info: RunInfo,
    /** The host's scope of this run's dependency keys, e.g. its installation. */
    private readonly scope: string | undefined,
  ) {}

  /**
   * The handler that executes this run's steps of `kind`: `registered` itself, or what its
   * `forRun` made for this run — once; a `forRun` that throws is asked again next time.
   */
  handler(kind: string, registered: StepHandler): StepHandler {
    if (!registered.forRun) return registered;
    let handler = this.made.get(kind);
    if (!handler) {
      handler = toHandler(registered.forRun(this.info));
      this.made.set(kind, handler);
    }
    return handler;
  }

  /** The handler whose `stopOrphan` stops this run's orphans of `kind`: its own, else the registered one. */
  stopper(kind: string, registered: StepHandler): StepHandler | undefined {
    const handler = this.handler(kind, registered);
    if (handler.stopOrphan) return handler;
    return registered.stopOrphan ? registered : undefined;
  }

  /** The circuit-breaker and retry-budget key of `dependency` for this run: `<scope>/<dependency>`. */
  dependencyKey(dependency: string): string {
    return this.scope === undefined ? dependency : `${this.scope}/${dependency}`;
  }

  /** The run stopped here: its handlers are dropped. */
  drop(): void {
    this.made.clear();
  }
}
