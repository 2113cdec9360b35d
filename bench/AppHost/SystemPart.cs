/// <summary>
/// One part of the running system: how many processes it has, their summed resident and proportional set sizes, and
/// the CPU time they used since they started.
/// </summary>
internal sealed record SystemPart(string Part, int Processes, long RssKilobytes, long PssKilobytes, double CpuSeconds);
