package io.herald.load;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.HdrHistogram.Histogram;

/**
 * One load-tool worker process: a {@link DeviceSwarm} driven by the coordinator over
 * stdin ({@code open N}, {@code state RATE SECONDS}, {@code reset FROM_MICROS}, {@code report},
 * {@code drop}, {@code rejoin URI}, {@code sequences}, {@code exit}), answering one line
 * on stdout per command. Separate processes keep each under the open-file limit.
 */
public final class LoadWorker {

  private LoadWorker() {}

  /** Arguments: target WebSocket URI, source address, device id prefix, topics (0 for none), groups. */
  public static void main(String[] args) throws Exception {
    try (DeviceSwarm swarm = new DeviceSwarm(URI.create(args[0]), args[1], args[2], Integer.parseInt(args[3]),
        Integer.parseInt(args[4]))) {
      BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String command;
      while ((command = commands.readLine()) != null) {
        String[] words = command.split(" ");
        switch (words[0]) {
          case "open" -> {
            swarm.open(Integer.parseInt(words[1]));
            reply("connected=" + swarm.connected() + " subscribed=" + swarm.subscribed() + " failed=" + swarm.failed());
          }
          case "state" -> {
            swarm.reportState(Integer.parseInt(words[1]), Integer.parseInt(words[2]),
                words.length < 4 || !words[3].equals("unanswered"));
            Thread.sleep(2_000); // the last answers
            reply("reported");
          }
          case "counts" -> reply("accepted=" + swarm.stateAccepted() + " refused=" + swarm.stateRefused());
          case "reset" -> {
            swarm.reset(words.length > 1 ? Long.parseLong(words[1]) : 0);
            reply("reset");
          }
          case "report" -> {
            DeviceSwarm.Report report = swarm.report();
            reply("received=" + report.received() + " histogram=" + encoded(report.latencyMicros()));
          }
          case "drop" -> {
            swarm.drop();
            reply("dropped");
          }
          case "rejoin" -> {
            DeviceSwarm.Rejoin rejoin = swarm.rejoin(URI.create(words[1]));
            reply("stormMicros=" + rejoin.stormMicros() + " resumed=" + rejoin.resumed() + " notResumed="
                + rejoin.notResumed() + " connected=" + rejoin.connected() + " refused=" + rejoin.refused() + " failed="
                + swarm.failed()
                + " histogram=" + encoded(rejoin.resubscribeMicros()));
          }
          case "sequences" -> {
            DeviceSwarm.Sequences sequences = swarm.sequences();
            reply("skipped=" + sequences.skipped() + " repeated=" + sequences.repeated() + " recovered="
                + sequences.recovered() + " unrecovered=" + sequences.unrecovered());
          }
          case "exit" -> {
            return;
          }
          default -> reply("unknown command " + words[0]);
        }
      }
    }
  }

  /** A histogram as one word: compressed, in base64. */
  private static String encoded(Histogram histogram) {
    ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
    int length = histogram.encodeIntoCompressedByteBuffer(buffer);
    return Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length));
  }

  private static void reply(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
