// @chapter 4
// max_requests: how many requests a worker serves before it retires (0 = no limit).

export interface RequestBudget {
  /** Counts one request; false when it is the last one the worker should serve. */
  take(): boolean;
  /** Requests counted so far. */
  readonly used: number;
}

// #region budget
export function requestBudget(maxRequests: number): RequestBudget {
  const limit = maxRequests > 0 ? maxRequests : Infinity;
  let used = 0;
  return {
    take() {
      used += 1;
      return used < limit;
    },
    get used() {
      return used;
    },
  };
}
// #endregion budget
