package io.herald.load;

import java.time.Instant;

/** Wall-clock microseconds: the one clock a publisher and its subscribers in other processes share. */
final class Micros {

  private Micros() {}

  static long now() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }
}
