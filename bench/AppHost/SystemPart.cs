/// <summary>One part of the running system: how many processes it has and their summed resident and proportional set sizes.</summary>
internal sealed record MemoryRow(string Part, int Processes, long RssKilobytes, long PssKilobytes);
