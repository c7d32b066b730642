// The reasons outdial itself gives an attempt it ends as `failed` when no carrier said anything:
// its own processes lost track of the call (a dialer killed mid-call, a job that waited in the
// dial queue past its lease). They say nothing about the trunk, so the circuit breaker, which
// stops a batch whose trunk keeps failing (DESIGN.md), leaves them out.
export const OWN_FAILURE_REASONS = {
  /** The reconciler ended an attempt whose call outcome never came back in time. */
  stuck: 'stuck',
  /** The dial job waited in the queue past the lease margin and was never dialled. */
  expiredInQueue: 'waited in the dial queue past the lease margin',
} as const;

export const ownFailureReasons: readonly string[] = Object.values(OWN_FAILURE_REASONS);
