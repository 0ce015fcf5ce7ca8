/**
 * Starting a library worker and talking to it: each worker is a compiled module of this folder
 * (forward-worker, trainer-worker) that loads its own copy of the library and its own tfjs backend
 * (the wasm backend is single-threaded in Node, so a worker is the way to use a second core).
 * From dist/ the worker runs the compiled .js beside this file; from the TypeScript sources (tests,
 * benchmarks under tsx) it runs the .ts module through tsx's require hook, so both sides always run
 * the same version of the code.
 */
import * as path from "path";
import { Worker, parentPort, workerData } from "worker_threads";
import { type BackendName, initBackend, tf } from "../../core/backend";
import type { WorkerInit, WorkerReply } from "./protocol";

/** A request without its id (which call fills in); distributes over a union of requests. */
export type Unnumbered<M> = M extends { id: number } ? Omit<M, "id"> : never;

export type WorkerModule = "forward-worker" | "trainer-worker";

/** Starts a worker running lib/nn/threads/<name>, with the main thread's tfjs backend. */
export function startWorker(name: WorkerModule): Worker {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, name + ext);
  const b = tf.getBackend();
  const init: WorkerInit = { backend: b === "tensorflow" || b === "wasm" || b === "cpu" ? b : "wasm" };
  if (ext === ".ts") {
    const tsx = require.resolve("tsx/cjs/api");
    const boot = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(file)});`;
    return new Worker(boot, { eval: true, workerData: init });
  }
  return new Worker(file, { workerData: init });
}

interface Pending {
  resolve: (v: WorkerReply) => void;
  reject: (e: Error) => void;
}

/** Request and reply over a worker's message port, matched by id; `ready` settles on its start-up report. */
export class WorkerHandle {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;

  constructor(
    readonly worker: Worker,
    private readonly label: string,
  ) {
    let readyResolve: () => void = () => {};
    let readyReject: (e: Error) => void = () => {};
    this.ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    worker.on("message", (m: WorkerReply) => {
      if (m.id === 0) {
        if (m.error) readyReject(new Error(`${label} worker failed to start: ${m.error}`));
        else readyResolve();
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) worker.unref(); // idle workers do not keep the process alive
      if (m.error) p.reject(new Error(`${label} worker: ${m.error}`));
      else p.resolve(m);
    });
    worker.on("error", (e) => {
      readyReject(e);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  /** Sends a request (its id is filled in) and resolves with the reply. */
  call<M extends { id: number }>(msg: Unnumbered<M>, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /** Sends a message that gets no reply (id -1). */
  send<M extends { id: number }>(msg: Unnumbered<M>, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage({ ...msg, id: -1 }, transfer);
  }
}

/**
 * The worker side: loads the backend the main thread asked for, then answers each request with
 * handle(msg) (a reply, which gets the request's id, or null for none), turning exceptions into
 * error replies. Reports id 0 when ready (or failed).
 */
export function serveRequests<M extends { id: number }>(
  handle: (msg: M) => { reply: Omit<WorkerReply, "id">; transfer?: ArrayBuffer[] } | null,
): void {
  const port = parentPort;
  if (!port) throw new Error("serveRequests: not running in a worker thread");
  const errorText = (e: unknown) => String((e instanceof Error && e.stack) || e);
  initBackend((workerData as WorkerInit).backend)
    .then(() => {
      port.on("message", (msg: M) => {
        try {
          const r = handle(msg);
          if (r) port.postMessage({ ...r.reply, id: msg.id }, r.transfer ?? []);
        } catch (e) {
          port.postMessage({ id: msg.id, error: errorText(e) });
        }
      });
      port.postMessage({ id: 0, ready: true });
    })
    .catch((e: unknown) => port.postMessage({ id: 0, error: errorText(e) }));
}
