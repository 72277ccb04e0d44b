package io.herald.protocol;

import java.util.Optional;

/**
 * How frames travel on a device WebSocket, chosen by WebSocket subprotocol: Protobuf in
 * binary frames, or the protobuf JSON mapping in text frames.
 */
public enum WireFormat {
  PROTOBUF("herald.v1.proto"),
  JSON("herald.v1.json");

  private final String subprotocol;

  WireFormat(String subprotocol) {
    this.subprotocol = subprotocol;
  }

  /** The WebSocket subprotocol name that selects this format. */
  public String subprotocol() {
    return subprotocol;
  }

  /** The format a subprotocol name selects, if any. */
  public static Optional<WireFormat> ofSubprotocol(String name) {
    for (WireFormat format : values()) {
      if (format.subprotocol.equals(name)) {
        return Optional.of(format);
      }
    }
    return Optional.empty();
  }
}
