package io.herald.it;

import static io.herald.it.support.NodeProcess.sampleValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.client.DeviceClient;
import io.herald.client.HeraldClient;
import io.herald.client.TopicMessage;
import io.herald.it.support.Await;
import io.herald.it.support.NodeProcess;
import io.herald.it.support.RawSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Operators scrape a node's metrics with Prometheus and see them move. */
class MetricsTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void theCoreMetricsMoveWithTraffic() throws Exception {
    try (NodeProcess node = NodeProcess.start("metrics", Map.of("herald.metrics.tick-interval", "500ms"))) {
      HeraldClient herald = node.heraldClient();
      ConcurrentLinkedQueue<TopicMessage> received = new ConcurrentLinkedQueue<>();
      DeviceClient device = DeviceClient.connect(DeviceClient.Options.builder().uri(node.deviceUri()).build()).join();
      device.subscribe("metrics/t", received::add).join();
      for (int i = 0; i < 5; i++) {
        herald.publish("metrics/t", new byte[] {(byte) i}).join();
      }
      try (RawSocket bad = RawSocket.connect(node.deviceUri())) {
        bad.sendText("{\"requestId\":\"1\",\"subscribe\":{\"topic\":\"a//b\"}}");
        Await.until(Duration.ofSeconds(5), "the error is counted", () -> node.counter("errors.invalid_topic") == 1);
      }
      Await.until(Duration.ofSeconds(5), "messages arrive", () -> received.size() == 5);

      Await.until(Duration.ofSeconds(10), "the scrape shows the traffic", () -> {
        String scrape = node.scrape();
        return sampleValue(scrape, "herald_messages_published_total") >= 5
            && sampleValue(scrape, "herald_deliveries_total") >= 5
            && sampleValue(scrape, "herald_connections_open") == 1
            && sampleValue(scrape, "herald_frames_total\\{direction=\"out\"\\}") > 0
            && sampleValue(scrape, "herald_errors_total\\{code=\"invalid_topic\"\\}") == 1
            && sampleValue(scrape, "herald_fanout_latency_seconds_count") >= 5
            && sampleValue(scrape, "herald_outbound_queue_depth_count") > 0
            // Five one-byte messages kept for devices that resume, 80 bytes of bookkeeping each.
            && sampleValue(scrape, "herald_topic_history_bytes") == 5 * 81
            // A node alone is a cluster of one, Up and reachable.
            && sampleValue(scrape, "herald_cluster_members\\{status=\"Up\"\\}") == 1
            && sampleValue(scrape, "herald_cluster_members_unreachable") == 0;
      });

      // A full collection, so that the heap after one is reported however quiet the node was.
      new ProcessBuilder("jcmd", Long.toString(node.pid()), "GC.run").start().waitFor(30, TimeUnit.SECONDS);
      Await.until(Duration.ofSeconds(10), "the heap after a collection is reported",
          () -> sampleValue(node.scrape(), "herald_heap_after_gc_bytes") > 0 && node.status().getHeapAfterGcBytes() > 0);

      // Every metric the shipped alerting rules name is one the node exports, with traffic behind it.
      String scrape = node.scrape();
      for (String metric : DeploymentRecipesTest.metricsNamedByTheAlertingRules()) {
        assertTrue(Pattern.compile("(?m)^" + metric + "[{ ]").matcher(scrape).find(),
            metric + " is named by deploy/prometheus/herald-alerts.yaml but not exported");
      }

      double before = sampleValue(node.scrape(), "herald_messages_published_total");
      for (int i = 0; i < 3; i++) {
        herald.publish("metrics/t", new byte[] {9}).join();
      }
      Await.until(Duration.ofSeconds(10), "the counter keeps moving",
          () -> sampleValue(node.scrape(), "herald_messages_published_total") >= before + 3);
      assertTrue(sampleValue(node.scrape(), "herald_connections_opened_total") >= 2);
      device.close();
    }
  }

  @Test
  void metricsListenOnTheConfiguredInterfaceOnly() throws Exception {
    try (NodeProcess node = NodeProcess.start("metrics-bind", Map.of())) {
      assertEquals(200, HTTP.send(HttpRequest.newBuilder(node.metricsUri()).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode());
      for (int port : new int[] {node.metricsUri().getPort(), node.port()}) {
        assertTrue(listensOnLoopbackOnly(port), "port " + port + " listens on every interface");
      }
    }
  }

  /** From the kernel's socket tables: a listener on this port exists, and none on the any-address. */
  private static boolean listensOnLoopbackOnly(int port) throws java.io.IOException {
    String hexPort = String.format(":%04X", port);
    boolean listening = false;
    for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(table))) {
        String[] columns = line.trim().split("\\s+");
        if (columns.length > 3 && columns[1].endsWith(hexPort) && columns[3].equals("0A")) {
          listening = true;
          if (columns[1].replace(hexPort, "").chars().allMatch(c -> c == '0')) {
            return false;
          }
        }
      }
    }
    return listening;
  }
}
