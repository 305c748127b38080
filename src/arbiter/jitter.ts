// @chapter 8
// max_requests + max_requests_jitter: how many requests one worker serves before it retires.

// #region jitter
/** maxRequests + randint(0, jitter), as gunicorn draws it per worker; 0 means no limit. */
export function requestLimit(maxRequests: number, jitter: number, random: () => number): number {
  if (maxRequests <= 0) return 0;
  return maxRequests + Math.floor(random() * (Math.max(0, jitter) + 1));
}
// #endregion jitter
