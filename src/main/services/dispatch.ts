import { REQUESTS, isMethod, type Method, type ParsedParams, type Result } from '../../shared/contract.js';
import { toErrorEnvelope, type ErrorEnvelope } from '../../shared/errors.js';

export interface CallContext {
  /** which host the call came through; handlers rarely care */
  host: 'electron' | 'browser' | 'cli' | 'test';
}

export type Handler<M extends Method> = (params: ParsedParams<M>, ctx: CallContext) => Promise<Result<M>> | Result<M>;
export type Handlers = { [M in Method]: Handler<M> };

export type CallOutcome = { ok: true; result: unknown } | { ok: false; error: ErrorEnvelope };

/**
 * The single entry point both hosts use: checks the method exists, validates params against the
 * contract, runs the host's check, then the handler and turns any failure into an error envelope. Never throws.
 */
export async function dispatch(
  handlers: Handlers,
  method: unknown,
  params: unknown,
  ctx: CallContext,
  /** runs on the validated params before the handler (the Electron host's path grants); a throw becomes the error envelope */
  check?: (method: Method, params: unknown) => void,
): Promise<CallOutcome> {
  if (!isMethod(method)) {
    return { ok: false, error: { code: 'unknown_method', message: `Unknown method ${JSON.stringify(method)}` } };
  }
  const parsed = REQUESTS[method].params.safeParse(params ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      error: {
        code: 'invalid_params',
        message: `Invalid params for ${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
        details: { issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
      },
    };
  }
  try {
    check?.(method, parsed.data);
    const handler = handlers[method] as Handler<Method>;
    const result = await handler(parsed.data as ParsedParams<Method>, ctx);
    return { ok: true, result };
  } catch (err) {
    return { ok: false, error: toErrorEnvelope(err) };
  }
}
