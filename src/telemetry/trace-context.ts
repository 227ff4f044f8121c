import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, type Context } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";

const propagator = new W3CTraceContextPropagator();

/** The W3C `traceparent` of the span active in `context` (undefined when there is none). */
export function traceparentOf(context: Context): string | undefined {
  const carrier: Record<string, string> = {};
  propagator.inject(context, carrier, defaultTextMapSetter);
  return carrier.traceparent;
}

/** A context whose parent is the span a stored `traceparent` names (possibly in another process). */
export function contextFrom(traceparent: string): Context {
  return propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
}
