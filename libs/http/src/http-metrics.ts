import type { NextFunction, Request, Response } from "express";
import type { Histogram } from "prom-client";

/** Observes each request's duration, labelled by the matched route pattern (never the raw path). */
export function httpMetrics(histogram: Histogram<"method" | "route" | "status">) {
  return (req: Request, res: Response, next: NextFunction) => {
    const end = histogram.startTimer();
    res.on("finish", () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      end({ method: req.method, route: route ? `${req.baseUrl}${route}` : "unmatched", status: String(res.statusCode) });
    });
    next();
  };
}
