package io.herald.node.edge;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * A WebSocket message arriving in fragments: kept while it fits the frame limit, then only
 * counted, so an oversized message costs no memory while it is read to its end.
 */
final class FragmentedMessage {

  private final boolean text;
  private final int limit;
  private ByteBuf content = Unpooled.EMPTY_BUFFER;
  private long bytes;

  FragmentedMessage(boolean text, int limit) {
    this.text = text;
    this.limit = limit;
  }

  void add(ByteBuf fragment) {
    bytes += fragment.readableBytes();
    if (bytes > limit) {
      release();
    } else {
      if (content == Unpooled.EMPTY_BUFFER) {
        content = Unpooled.buffer(fragment.readableBytes());
      }
      content.writeBytes(fragment, fragment.readerIndex(), fragment.readableBytes());
    }
  }

  boolean text() {
    return text;
  }

  boolean tooLarge() {
    return bytes > limit;
  }

  long bytes() {
    return bytes;
  }

  ByteBuf content() {
    return content;
  }

  void release() {
    if (content != Unpooled.EMPTY_BUFFER) {
      content.release();
      content = Unpooled.EMPTY_BUFFER;
    }
  }
}
