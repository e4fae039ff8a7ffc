package org.parley.cli.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.parley.client.events.ClientEvent;

/** One JSON object per line on stdout; sentences for people go to stderr. */
public final class JsonOutput implements Output {
  private final ObjectMapper json = new ObjectMapper();
  private final PrintStream out;
  private final PrintStream err;

  public JsonOutput(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  @Override
  public void event(ClientEvent event) {
    write(Events.fields(event));
  }

  @Override
  public void record(String type, Map<String, Object> fields) {
    Map<String, Object> object = new LinkedHashMap<>();
    object.put("type", type);
    object.putAll(fields);
    write(object);
  }

  @Override
  public void note(String text) {
    err.println(text);
  }

  private void write(Map<String, Object> object) {
    try {
      out.println(json.writeValueAsString(object));
      out.flush();
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
