package io.herald.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OptionsTest {

  @Test
  void heraldClientOptionsRefuseWhatCannotWork() {
    assertThrows(IllegalArgumentException.class,
        () -> HeraldClient.Options.builder().baseUri(URI.create("ws://x")).build());
    assertThrows(IllegalArgumentException.class, () -> HeraldClient.Options.builder().maxRetries(-1).build());
    assertThrows(IllegalArgumentException.class,
        () -> HeraldClient.Options.builder().requestTimeout(Duration.ZERO).build());
    assertThrows(IllegalArgumentException.class,
        () -> HeraldClient.Options.builder().backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)).build());
  }

  @Test
  void deviceClientOptionsRefuseWhatCannotWork() {
    assertThrows(IllegalArgumentException.class,
        () -> DeviceClient.Options.builder().uri(URI.create("http://x/v1/ws")).build());
    assertThrows(IllegalArgumentException.class, () -> DeviceClient.Options.builder().maxPendingSends(0).build());
  }

  @Test
  void backoffGrowsExponentiallyWithinItsBounds() {
    Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1));
    for (int attempt = 0; attempt < 30; attempt++) {
      long ceiling = Math.min(1000, 100L << Math.min(attempt, 20));
      long delay = backoff.delay(attempt).toMillis();
      assertTrue(delay >= ceiling / 2 && delay <= ceiling, "attempt " + attempt + ": " + delay);
    }
    assertEquals(Duration.ofMillis(100), new Backoff(Duration.ofMillis(100), Duration.ofMillis(100)).initial());
  }
}
