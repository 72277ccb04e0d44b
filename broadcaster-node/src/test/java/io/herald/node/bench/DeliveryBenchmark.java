package io.herald.node.bench;

import com.google.protobuf.ByteString;
import io.herald.node.connection.ConnectionSettings;
import io.herald.node.connection.OutboundBuffer;
import io.herald.node.connection.ServerFrames;
import io.herald.node.connection.SlowConsumerPolicy;
import io.herald.node.connection.TopicMessageFrame;
import io.herald.node.metrics.NodeMetrics;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.DisconnectReason;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The delivery path from a topic to a socket, per subscriber: a message offered to a
 * connection's outbound buffer and taken by its transport, as one frame when the
 * connection keeps up and as one batch frame when it lags. Times are per message.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class DeliveryBenchmark {

  private static final int SUBSCRIBERS = 1_000;
  private static final int LAG = 16;

  private final NodeMetrics metrics = new NodeMetrics();
  private OutboundBuffer[] buffers;
  private TopicMessageFrame message;
  private long sequence;

  @Setup(Level.Trial)
  public void setUp() {
    ConnectionSettings settings = new ConnectionSettings(1024, SlowConsumerPolicy.DROP_OLDEST, 64, 1 << 20,
        Duration.ofSeconds(1), 65536, 10, SUBSCRIBERS, 0, 1, Duration.ofSeconds(10), Duration.ofSeconds(30), 100, 100, 10,
        Duration.ofSeconds(5), Duration.ofSeconds(1));
    buffers = new OutboundBuffer[SUBSCRIBERS];
    for (int i = 0; i < SUBSCRIBERS; i++) {
      buffers[i] = new OutboundBuffer("s" + i, WireFormat.PROTOBUF, settings,
          ServerFrames.disconnect(DisconnectReason.SLOW_CONSUMER, "slow", Duration.ZERO), metrics);
    }
  }

  @Setup(Level.Invocation)
  public void nextMessage() {
    message = TopicMessageFrame.of("sensors/room-1", ++sequence, ByteString.copyFrom(new byte[64]), Instant.EPOCH);
  }

  /** One message to 1,000 connections that keep up: each offers, then writes one frame. */
  @Benchmark
  @OperationsPerInvocation(SUBSCRIBERS)
  public void fanOutToConnectionsThatKeepUp(Blackhole written) {
    for (OutboundBuffer buffer : buffers) {
      buffer.offer(message);
    }
    for (OutboundBuffer buffer : buffers) {
      written.consume(buffer.takeBinary());
    }
  }

  /** 16 messages waiting for one lagging connection, written as one batch frame. */
  @Benchmark
  @OperationsPerInvocation(LAG)
  public void coalesceForALaggingConnection(Blackhole written) {
    OutboundBuffer buffer = buffers[0];
    for (int i = 0; i < LAG; i++) {
      buffer.offer(message);
    }
    written.consume(buffer.takeBinary());
  }
}
