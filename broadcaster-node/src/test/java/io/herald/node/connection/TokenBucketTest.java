package io.herald.node.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

  private final AtomicLong nanos = new AtomicLong();

  @Test
  void allowsTheBurstThenRefillsAtTheRate() {
    TokenBucket bucket = new TokenBucket(10, 3, nanos::get);
    assertTrue(bucket.tryTake());
    assertTrue(bucket.tryTake());
    assertTrue(bucket.tryTake());
    assertFalse(bucket.tryTake());

    nanos.addAndGet(100_000_000); // 0.1 s at 10/s: one token
    assertTrue(bucket.tryTake());
    assertFalse(bucket.tryTake());
  }

  @Test
  void neverHoldsMoreThanTheBurst() {
    TokenBucket bucket = new TokenBucket(10, 2, nanos::get);
    nanos.addAndGet(60_000_000_000L);
    assertTrue(bucket.tryTake());
    assertTrue(bucket.tryTake());
    assertFalse(bucket.tryTake());
  }

  @Test
  void saysHowLongUntilTheNextToken() {
    TokenBucket bucket = new TokenBucket(10, 1, nanos::get);
    assertEquals(0, bucket.nanosUntilNextToken());
    assertTrue(bucket.tryTake());
    assertEquals(100_000_000, bucket.nanosUntilNextToken());
    nanos.addAndGet(40_000_000);
    assertEquals(60_000_000, bucket.nanosUntilNextToken(), 1);
    nanos.addAndGet(60_000_000);
    assertEquals(0, bucket.nanosUntilNextToken());
  }
}
