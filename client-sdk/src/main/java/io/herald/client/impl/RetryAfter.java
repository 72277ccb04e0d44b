package io.herald.client.impl;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** A node's {@code Retry-After} (in seconds), spread so the clients it refused together come back apart. */
final class RetryAfter {

  private RetryAfter() {}

  /** The wait {@code response} asks for, if any: a random time between it and twice it. */
  static Optional<Duration> of(HttpResponse<?> response) {
    return response.headers().firstValue("Retry-After").flatMap(RetryAfter::seconds).map(RetryAfter::spread);
  }

  private static Optional<Duration> seconds(String value) {
    try {
      long seconds = Long.parseLong(value.trim());
      return seconds >= 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Duration spread(Duration asked) {
    return asked.plusMillis(ThreadLocalRandom.current().nextLong(asked.toMillis() + 1));
  }
}
