package org.parley.cli.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.client.events.ClientEvent;
import org.parley.client.events.EventJson;
import org.parley.client.events.LoggedEvent;

/** One JSON object per line on stdout; sentences for people go to stderr. */
public final class JsonOutput implements Output {
  private final ObjectMapper json = new ObjectMapper();
  private final EventJson events = new EventJson();
  private final PrintStream out;
  private final PrintStream err;

  public JsonOutput(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public boolean json() {
    return true;
  }

  @Override
  public void event(LoggedEvent event) {
    line(events.write(event));
  }

  @Override
  public void event(ClientEvent event) {
    line(events.write(event));
  }

  @Override
  public void record(String type, Map<String, Object> fields) {
    Map<String, Object> object = new LinkedHashMap<>();
    object.put("type", type);
    object.putAll(fields);
    try {
      line(json.writeValueAsString(object));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void note(String text) {
    err.println(text);
    err.flush();
  }

  private synchronized void line(String text) {
    out.println(text);
    out.flush();
  }
}
