package io.herald.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.it.support.NodeProcess;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A node that cannot open one of its ports exits with code 1 and says why, rather than run half served. */
class StartupFailureTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aNodeWhoseApiPortIsTakenExitsWithCode1() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        NodeProcess node = NodeProcess.launch("api-port-taken", taken.getLocalPort(), Map.of())) {
      assertEquals(1, node.awaitExit(WAIT), node::log);
      assertTrue(node.log().contains("could not bind 127.0.0.1:" + taken.getLocalPort()), node::log);
    }
  }

  @Test
  void aNodeWhoseDevicePortIsTakenExitsWithCode1() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        NodeProcess node = NodeProcess.launch("device-port-taken", NodeProcess.freePort(),
            Map.of("herald.edge", "netty", "herald.netty.port", Integer.toString(taken.getLocalPort())))) {
      assertEquals(1, node.awaitExit(WAIT), node::log);
      assertTrue(node.log().contains("could not bind the device edge"), node::log);
    }
  }
}
