export default {
  title: "Quiet Queue",
  url: "https://quietqueue.example.com/",
  language: "en",
  description: "Notes on message queues and the systems around them.",
  author: { name: "Alex Moreau" },
};
