package io.herald.client;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter: attempt n waits a random time between half and all of
 * {@code min(max, initial * 2^n)}, so many clients retrying at once spread out.
 *
 * @param initial the wait before the first retry
 * @param max the longest wait
 */
public record Backoff(Duration initial, Duration max) {

  /** Checks that {@code 0 < initial <= max}. */
  public Backoff {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < initial <= max");
    }
  }

  /** The wait before retry number {@code attempt} (0 for the first retry). */
  public Duration delay(int attempt) {
    long ceiling = initial.toMillis() << Math.min(attempt, 20);
    long capped = Math.min(max.toMillis(), ceiling <= 0 ? max.toMillis() : ceiling);
    return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
  }
}
