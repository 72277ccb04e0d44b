package io.herald.node.connection;

import io.herald.protocol.Json;
import io.herald.protocol.WireFormat;
import io.herald.protocol.v1.ServerFrame;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** An outbound port that keeps what it is sent, decoded, for tests of its producers. */
public final class RecordingPort implements OutboundPort {

  private final List<ServerFrame> frames = new CopyOnWriteArrayList<>();
  private volatile ServerFrame lastFrame;
  private volatile boolean closed;

  @Override
  public OfferResult offer(OutboundFrame frame) {
    if (closed) {
      return OfferResult.CLOSED;
    }
    frames.add(decode(frame));
    return OfferResult.ENQUEUED;
  }

  @Override
  public void close(OutboundFrame last) {
    if (!closed) {
      closed = true;
      lastFrame = decode(last);
    }
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public WireFormat format() {
    return WireFormat.JSON;
  }

  public List<ServerFrame> frames() {
    return frames;
  }

  /** The frame the port was closed with, or null while open. */
  public ServerFrame lastFrame() {
    return lastFrame;
  }

  static ServerFrame decode(OutboundFrame frame) {
    try {
      // Through JSON: the encoding a browser dashboard reads.
      return Json.parse(frame.json(), ServerFrame.newBuilder()).build();
    } catch (Exception e) {
      throw new AssertionError("frame does not decode", e);
    }
  }
}
