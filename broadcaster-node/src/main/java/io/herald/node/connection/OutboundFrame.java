package io.herald.node.connection;

import java.nio.charset.StandardCharsets;

/**
 * A frame on its way to devices. Each wire encoding is made when first asked for and then
 * kept, so a frame sent to many connections is encoded at most once per format.
 */
public abstract class OutboundFrame {

  private volatile byte[] binary;
  private volatile String json;
  private volatile byte[] jsonUtf8;

  /** The frame as a binary Protobuf WebSocket frame. */
  public final byte[] binary() {
    byte[] encoded = binary;
    if (encoded == null) {
      // A race encodes twice at worst; both results are equal.
      encoded = encodeBinary();
      binary = encoded;
    }
    return encoded;
  }

  /** The frame as a JSON text WebSocket frame. */
  public final String json() {
    String encoded = json;
    if (encoded == null) {
      encoded = encodeJson();
      json = encoded;
    }
    return encoded;
  }

  /** The JSON text frame as UTF-8 bytes, for transports that write bytes. */
  public final byte[] jsonUtf8() {
    byte[] encoded = jsonUtf8;
    if (encoded == null) {
      encoded = json().getBytes(StandardCharsets.UTF_8);
      jsonUtf8 = encoded;
    }
    return encoded;
  }

  protected abstract byte[] encodeBinary();

  protected abstract String encodeJson();
}
