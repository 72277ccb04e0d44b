package io.herald.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.protocol.Topics.Verdict;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicsTest {

  @ParameterizedTest
  @ValueSource(strings = {"a", "sensors/room-1/temp", "A.b_c-9", "x/y/z/1/2/3"})
  void wellFormedTopicsAreValid(String topic) {
    assertEquals(Verdict.VALID, Topics.check(topic, 64));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/a", "a/", "a//b", "a b", "a/+", "a/#", "é", "a\u0000b", "$"})
  void malformedTopicsAreInvalid(String topic) {
    assertEquals(Verdict.INVALID, Topics.check(topic, 64));
  }

  @ParameterizedTest
  @ValueSource(strings = {"$device/d1/state", "$group/g1", "$x"})
  void dollarTopicsAreReserved(String topic) {
    assertEquals(Verdict.RESERVED, Topics.check(topic, 64));
  }

  @org.junit.jupiter.api.Test
  void topicsLongerThanTheLimitAreInvalid() {
    assertEquals(Verdict.VALID, Topics.check("a".repeat(64), 64));
    assertEquals(Verdict.INVALID, Topics.check("a".repeat(65), 64));
  }
}
