package io.herald.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.client.TopicMessage;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/** Records what one subscriber receives of one topic: sequences in arrival order, and strays. */
public final class TopicRecorder implements Consumer<TopicMessage> {

  private final String topic;
  private final String who;
  private final ConcurrentLinkedQueue<Long> received = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> misrouted = new ConcurrentLinkedQueue<>();

  public TopicRecorder(String topic, String who) {
    this.topic = topic;
    this.who = who;
  }

  @Override
  public void accept(TopicMessage message) {
    if (!topic.equals(message.topic())) {
      misrouted.add(message.topic());
    }
    received.add(message.sequence());
  }

  public String topic() {
    return topic;
  }

  public List<Long> received() {
    return List.copyOf(received);
  }

  public boolean hasAll(List<Long> sequences) {
    return received.containsAll(sequences);
  }

  /** Exactly these sequences, in this order: none missing, none twice, none from elsewhere. */
  public void assertReceivedExactly(List<Long> sequences) {
    assertEquals(List.of(), List.copyOf(misrouted), who + " received other topics' messages");
    assertEquals(sequences, received(), who + " on " + topic);
  }

  @Override
  public String toString() {
    return who;
  }
}
