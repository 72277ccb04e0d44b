package io.herald.node.connection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.herald.protocol.v1.ClientFrame;
import io.herald.protocol.v1.ErrorCode;
import io.herald.protocol.v1.Subscribe;
import io.herald.node.topic.ResumePoint;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {

  @Test
  void binaryAndJsonDecodeToTheSameRequest() {
    ClientFrame frame = ClientFrame.newBuilder().setRequestId(5)
        .setSubscribe(Subscribe.newBuilder().setTopic("a/b")).build();

    ClientRequest fromBinary = FrameDecoder.decodeBinary(ByteBuffer.wrap(frame.toByteArray()));
    ClientRequest fromJson = FrameDecoder.decodeJson("{\"requestId\":\"5\",\"subscribe\":{\"topic\":\"a/b\"}}");

    assertEquals(new ClientRequest.Subscribe(5, "a/b", Optional.empty()), fromBinary);
    assertEquals(fromBinary, fromJson);
  }

  @Test
  void aSubscribeThatResumesCarriesItsEpochAndSequence() {
    ClientRequest resume = FrameDecoder.decodeJson(
        "{\"requestId\":\"6\",\"subscribe\":{\"topic\":\"a/b\",\"resumeFrom\":{\"epoch\":\"e1\",\"sequence\":\"41\"}}}");

    assertEquals(new ClientRequest.Subscribe(6, "a/b", Optional.of(new ResumePoint("e1", 41))), resume);
  }

  @Test
  void snakeCaseJsonFieldNamesAreAcceptedToo() {
    assertEquals(new ClientRequest.Ping(3), FrameDecoder.decodeJson("{\"request_id\":3,\"ping\":{}}"));
  }

  @Test
  void undecodableFramesBecomeInvalidRequestsWithACode() {
    assertCode(ErrorCode.MALFORMED_FRAME, FrameDecoder.decodeBinary(ByteBuffer.wrap(new byte[] {(byte) 0xff, 0x7f})));
    assertCode(ErrorCode.MALFORMED_FRAME, FrameDecoder.decodeJson("{nope"));
    assertCode(ErrorCode.MALFORMED_FRAME, FrameDecoder.decodeJson("{\"subscribe\":{\"topic\":{\"x\":1}}}"));
    assertCode(ErrorCode.UNKNOWN_FRAME, FrameDecoder.decodeJson("{\"requestId\":\"1\",\"warp\":{}}"));
    assertCode(ErrorCode.UNKNOWN_FRAME, FrameDecoder.decodeBinary(ByteBuffer.allocate(0)));
  }

  private static void assertCode(ErrorCode code, ClientRequest request) {
    assertEquals(code, assertInstanceOf(ClientRequest.Invalid.class, request).code());
  }
}
