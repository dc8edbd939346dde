/**
 * Another live process already runs under this INSTANCE_ID. Two processes with one id would
 * renew each other's leases and break the one-instance-per-lane rule, so the second is refused.
 */
export class DuplicateInstanceError extends Error {
  readonly code = 'SFP_DUPLICATE_INSTANCE'
  constructor(instanceId: string, lastSeenAgoMs: number) {
    super(
      `another instance is running with INSTANCE_ID ${JSON.stringify(instanceId)} ` +
        `(seen ${Math.max(0, Math.round(lastSeenAgoMs))} ms ago): give each instance its own INSTANCE_ID`,
    )
    this.name = 'DuplicateInstanceError'
  }
}

/**
 * This instance's row was claimed by another process with the same INSTANCE_ID while this one
 * was not renewing (paused past a lease, cut from the database): this process must drive no lane.
 */
export class InstanceSupersededError extends Error {
  readonly code = 'SFP_INSTANCE_SUPERSEDED'
  constructor(instanceId: string) {
    super(
      `instance row ${JSON.stringify(instanceId)} was taken by another process with the same ` +
        'INSTANCE_ID while this one was not renewing it: this process drives no lane',
    )
    this.name = 'InstanceSupersededError'
  }
}

/** A change notification past PostgreSQL's NOTIFY payload limit: publish ids, not rows. */
export class NotificationTooLargeError extends Error {
  readonly code = 'SFP_NOTIFICATION_TOO_LARGE'
  constructor(topic: string, bytes: number, limit: number) {
    super(`change ${JSON.stringify(topic)} is ${bytes} bytes, over the ${limit}-byte limit`)
    this.name = 'NotificationTooLargeError'
  }
}
