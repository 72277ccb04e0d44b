package io.herald.node.connection;

import java.util.function.LongSupplier;

/**
 * A token bucket: {@code ratePerSecond} tokens a second up to {@code burst}. Not thread-safe:
 * one owner uses it (a connection actor, the edge's accepting thread) or guards it. Time
 * comes from an injected nanosecond clock.
 */
public final class TokenBucket {

  private final double tokensPerNano;
  private final double burst;
  private final LongSupplier nanoClock;
  private double tokens;
  private long lastRefillNanos;

  public TokenBucket(double ratePerSecond, int burst, LongSupplier nanoClock) {
    if (ratePerSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("rate and burst must be positive");
    }
    this.tokensPerNano = ratePerSecond / 1_000_000_000d;
    this.burst = burst;
    this.nanoClock = nanoClock;
    this.tokens = burst;
    this.lastRefillNanos = nanoClock.getAsLong();
  }

  /** Takes one token if there is one. */
  public boolean tryTake() {
    refill();
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  /** Nanoseconds until a token is there to take; 0 when one is there now. */
  public long nanosUntilNextToken() {
    refill();
    return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / tokensPerNano);
  }

  private void refill() {
    long now = nanoClock.getAsLong();
    tokens = Math.min(burst, tokens + (now - lastRefillNanos) * tokensPerNano);
    lastRefillNanos = now;
  }
}
