package io.herald.client.impl;

import io.herald.protocol.v1.Value;
import java.util.Map;
import java.util.TreeMap;

/** Maps state fields between the wire and plain Java values (Double, String, Boolean). */
final class StateFields {

  private StateFields() {}

  static Map<String, Value> toWire(Map<String, ?> fields) {
    Map<String, Value> wire = new TreeMap<>();
    fields.forEach((name, value) -> {
      if (value instanceof Number number) {
        wire.put(name, Value.newBuilder().setNumber(number.doubleValue()).build());
      } else if (value instanceof String text) {
        wire.put(name, Value.newBuilder().setText(text).build());
      } else if (value instanceof Boolean flag) {
        wire.put(name, Value.newBuilder().setFlag(flag).build());
      } else {
        throw new IllegalArgumentException("field '" + name + "' must be a number, a string or a boolean");
      }
    });
    return wire;
  }

  static Map<String, Object> fromWire(Map<String, Value> fields) {
    Map<String, Object> values = new TreeMap<>();
    fields.forEach((name, value) -> {
      switch (value.getKindCase()) {
        case NUMBER -> values.put(name, value.getNumber());
        case TEXT -> values.put(name, value.getText());
        case FLAG -> values.put(name, value.getFlag());
        case KIND_NOT_SET -> { }
      }
    });
    return values;
  }
}
