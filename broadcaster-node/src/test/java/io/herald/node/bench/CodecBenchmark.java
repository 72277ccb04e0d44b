package io.herald.node.bench;

import com.google.protobuf.ByteString;
import io.herald.node.connection.ClientRequest;
import io.herald.node.connection.FrameDecoder;
import io.herald.node.connection.TopicMessageFrame;
import io.herald.protocol.v1.ClientFrame;
import io.herald.protocol.v1.Publish;
import io.herald.protocol.v1.ReportState;
import io.herald.protocol.v1.Value;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The codec at both ends of the wire: a published message encoded once for all of its
 * subscribers (binary and JSON), and the frames devices send most (publish, state report)
 * decoded into requests.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class CodecBenchmark {

  @Param({"64", "1024"})
  int payloadBytes;

  private ByteString payload;
  private final Instant now = Instant.parse("2026-11-22T12:00:00Z");
  private byte[] publishFrame;
  private byte[] reportFrame;

  @Setup
  public void setUp() {
    payload = ByteString.copyFrom(new byte[payloadBytes]);
    publishFrame = ClientFrame.newBuilder().setRequestId(7)
        .setPublish(Publish.newBuilder().setTopic("sensors/room-1").setPayload(payload)).build().toByteArray();
    reportFrame = ClientFrame.newBuilder().setRequestId(8)
        .setReportState(ReportState.newBuilder()
            .putFields("temp", Value.newBuilder().setNumber(21.5).build())
            .putFields("sentAt", Value.newBuilder().setNumber(1.7e15).build()))
        .build().toByteArray();
  }

  /** What a publish costs to encode for binary subscribers: once, however many there are. */
  @Benchmark
  public byte[] encodeMessageBinary() {
    return TopicMessageFrame.of("sensors/room-1", 42, payload, now).binary();
  }

  /** The same for JSON subscribers, as the UTF-8 bytes the Netty edge writes. */
  @Benchmark
  public byte[] encodeMessageJson() {
    return TopicMessageFrame.of("sensors/room-1", 42, payload, now).jsonUtf8();
  }

  @Benchmark
  public ClientRequest decodePublish() {
    return FrameDecoder.decodeBinary(ByteBuffer.wrap(publishFrame));
  }

  @Benchmark
  public ClientRequest decodeStateReport() {
    return FrameDecoder.decodeBinary(ByteBuffer.wrap(reportFrame));
  }
}
