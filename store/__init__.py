"""What the API and the workers share: the settings of the service, the database (calls, keys,
counters), audio storage, the queue and its sweep, outbound URL checks and webhook signatures.
It knows neither the web app nor the workers."""
