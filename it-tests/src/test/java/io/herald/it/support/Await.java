package io.herald.it.support;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition with a deadline, instead of sleeping and hoping. */
public final class Await {

  private Await() {}

  /** Waits until {@code condition} holds; fails with {@code description} at the deadline. */
  public static void until(Duration timeout, String description, BooleanSupplier condition) {
    until(timeout, () -> description, condition);
  }

  public static void until(Duration timeout, Supplier<String> description, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + timeout + ": " + description.get());
      }
      pause();
    }
  }

  static void pause() {
    try {
      Thread.sleep(50);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
